// Package memworld is one test's AWS in memory, for the fast tests of the drift handler: ECR
// (ecrfake), Parameter Store (ssmfake), EventBridge (eventsrec) and STS (stsfake) behind the
// SDK's own method signatures, and the SageMaker stand-in (sagemakerfake) served in process
// and reached through the real SDK client, every account's projects in it. It builds the
// *drift.Service on them (Service), and arranges and reads the world without calls:
// configuration, repositories and hand edits of them, projects, the events published.
//
// Every call the product makes is recorded in Rec, in the form the moto world
// (internal/testing/world) records requests, and checked against the safety invariants
// (internal/testing/invariants); a test that breaks one fails, whatever it asserts itself.
//
// It stands in for what AWS does, not for how it is said on the wire: that is the moto world's
// to test.
package memworld

import (
	"cmp"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/accounts"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/drift"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/ecrfake"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/eventsrec"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/invariants"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/sagemakerfake"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/ssmfake"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/stsfake"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/taggingfake"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/wire"
)

// World is one test's AWS in memory, in the emulated account (account.ID, account.Region).
type World struct {
	// ECR, SSM and Events are the product's ECR, Parameter Store and EventBridge; a test
	// arranges and reads them without calls (Put, Edit, Set, Value, Events) or through the
	// World's methods.
	ECR    *ecrfake.Registry
	SSM    *ssmfake.Store
	Events *eventsrec.Recorder
	// STS can refuse a member account's role (Deny).
	STS *stsfake.STS
	// SageMaker holds this account's projects, and SageMaker.Account(id) a member account's.
	SageMaker *sagemakerfake.Server
	// Projects is the product's client of this account's SageMaker, and Accounts the product's
	// view of the accounts: this one, with Projects, and the members' SageMaker through the
	// member role, assumed through STS.
	Projects *sagemaker.Client
	Accounts *accounts.Directory
	// Rec records every call the product makes, to every service, in order.
	Rec *wire.Recorder
	// Tagging is the Resource Groups Tagging API's stand-in, answering from what ECR holds
	// (without counting its own reads as the product's), and Tags the product's client of it.
	Tagging *taggingfake.Server
	Tags    *resourcegroupstaggingapi.Client

	inv *invariants.Checker
}

// New returns an empty world; it is torn down, and the invariants reported, when the test
// ends.
func New(t testing.TB) *World {
	t.Helper()
	inv := invariants.New()
	rec := &wire.Recorder{Check: inv.Check}
	t.Cleanup(func() { inv.Report(t) })

	w := &World{ECR: ecrfake.New(), SSM: ssmfake.New(), Events: eventsrec.New(), STS: stsfake.New(account.ID),
		SageMaker: sagemakerfake.New(account.Region, account.ID), Rec: rec, inv: inv}
	w.ECR.Observe(rec.Add)
	w.SSM.Observe(rec.Add)
	w.Events.Observe(rec.Add)
	w.STS.Observe(rec.Add)
	w.SageMaker.SetAccounts(w.STS.Account)
	srv := httptest.NewServer(w.SageMaker)
	t.Cleanup(srv.Close)

	sdk := account.SDK(srv.URL, rec) // SageMaker is the one service reached over HTTP
	w.Projects = sagemaker.NewFromConfig(sdk)
	w.Accounts = &accounts.Directory{
		Home: account.ID, HomeSageMaker: w.Projects, STS: w.STS, AWS: sdk,
		NewSageMaker: func(cfg aws.Config) accounts.SageMaker { return sagemaker.NewFromConfig(cfg) },
	}
	w.Tagging = taggingfake.New(quiet{w.ECR})
	tagSrv := httptest.NewServer(w.Tagging)
	t.Cleanup(tagSrv.Close)
	w.Tags = resourcegroupstaggingapi.NewFromConfig(account.SDK(tagSrv.URL, rec))
	return w
}

// quiet reads the ECR fake for the tagging stand-in without counting its reads as calls of
// the product's.
type quiet struct{ r *ecrfake.Registry }

func (q quiet) DescribeRepositories(context.Context, *ecr.DescribeRepositoriesInput, ...func(*ecr.Options)) (*ecr.DescribeRepositoriesOutput, error) {
	out := &ecr.DescribeRepositoriesOutput{}
	for _, name := range q.r.Names() {
		out.Repositories = append(out.Repositories, ecrtypes.Repository{RepositoryName: aws.String(name),
			RepositoryArn: aws.String(ecrfake.ARN(name)), RepositoryUri: aws.String(ecrfake.URI(name))})
	}
	return out, nil
}

func (q quiet) ListTagsForResource(_ context.Context, in *ecr.ListTagsForResourceInput, _ ...func(*ecr.Options)) (*ecr.ListTagsForResourceOutput, error) {
	_, name, _ := strings.Cut(aws.ToString(in.ResourceArn), ":repository/")
	repo, ok := q.r.Get(name)
	if !ok {
		return nil, &ecrtypes.RepositoryNotFoundException{Message: aws.String(name)}
	}
	out := &ecr.ListTagsForResourceOutput{}
	for k, v := range repo.Tags {
		out.Tags = append(out.Tags, ecrtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return out, nil
}

// Service returns the drift handler on this world, as the function wires it: the default
// configuration path and bus, 4 repositories or projects at a time, no rate cap, logs and
// metrics discarded. A test changes what it needs on the copy it gets.
func (w *World) Service() *drift.Service {
	return &drift.Service{
		SSM: w.SSM, ECR: w.ECR, Accounts: w.Accounts, Tags: w.Tags, Region: account.Region,
		Publisher:   publish.New(w.Events, account.EventBus),
		ConfigPath:  account.ConfigPath,
		Concurrency: 4,
		Logger:      slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Metrics:     io.Discard,
	}
}

// PutConfig writes configuration parameters (names relative to account.ConfigPath) and tells
// the invariants what the configuration now is.
func (w *World) PutConfig(t testing.TB, values map[string]string) {
	t.Helper()
	w.inv.Configure(account.ConfigPath, values)
	for _, name := range slices.Sorted(maps.Keys(values)) {
		w.SSM.Set(account.ConfigPath+"/"+name, values[name])
	}
}

// DeleteConfig deletes configuration parameters (names relative to account.ConfigPath) and
// tells the invariants; one that is not there is no failure.
func (w *World) DeleteConfig(t testing.TB, names ...string) {
	t.Helper()
	w.inv.Forget(account.ConfigPath, names)
	for _, name := range names {
		w.SSM.Remove(account.ConfigPath + "/" + name)
	}
}

// CreateManaged creates the repositories tagged managed-by as the product tags its own, as an
// older tool would have made them; policy, when not empty, is each one's lifecycle policy.
func (w *World) CreateManaged(t testing.TB, names []string, policy string) {
	t.Helper()
	for _, name := range names {
		if _, ok := w.ECR.Get(name); ok {
			t.Fatalf("create %s: it exists", name)
		}
		w.ECR.Put(ecrfake.Repository{Name: name, Policy: policy, Tags: map[string]string{"managed-by": "sagemaker-ecr-provisioner"}})
	}
}

// Edit changes the repository as a person at the console would; the test fails when it does
// not exist.
func (w *World) Edit(t testing.TB, name string, fn func(*ecrfake.Repository)) {
	t.Helper()
	if !w.ECR.Edit(name, fn) {
		t.Fatalf("edit %s: no such repository", name)
	}
}

// EditRetentionByHand sets countNumber in every rule of the repository's lifecycle policy to
// n, and nothing else (see account.WithRetention).
func (w *World) EditRetentionByHand(t testing.TB, name string, n int) {
	t.Helper()
	w.Edit(t, name, func(r *ecrfake.Repository) {
		text, err := account.WithRetention(r.Policy, n)
		if err != nil {
			t.Fatalf("lifecycle policy of %s: %v", name, err)
		}
		r.Policy = text
	})
}

// UntagByHand removes the tag keys from the repository.
func (w *World) UntagByHand(t testing.TB, name string, keys ...string) {
	t.Helper()
	w.Edit(t, name, func(r *ecrfake.Repository) {
		for _, k := range keys {
			delete(r.Tags, k)
		}
	})
}

// TagByHand sets the tags on the repository.
func (w *World) TagByHand(t testing.TB, name string, tags map[string]string) {
	t.Helper()
	w.Edit(t, name, func(r *ecrfake.Repository) { maps.Copy(r.Tags, tags) })
}

// DeleteByHand deletes the repository, images and all; the test fails when it does not exist.
func (w *World) DeleteByHand(t testing.TB, name string) {
	t.Helper()
	if !w.ECR.Delete(name) {
		t.Fatalf("delete %s: no such repository", name)
	}
}

// Repository returns one repository as DescribeRepositories and the Get calls would show it,
// with its tags and policies; the test fails when it does not exist.
func (w *World) Repository(t testing.TB, name string) account.Repository {
	t.Helper()
	r, ok := w.ECR.Get(name)
	if !ok {
		t.Fatalf("repository %s does not exist", name)
	}
	return account.Repository{
		Name: name, URI: ecrfake.URI(name), ARN: ecrfake.ARN(name), Tags: r.Tags,
		Policy: r.Policy, HasPolicy: r.Policy != "", Access: r.Access,
		Mutability: cmp.Or(r.Mutability, "MUTABLE"), Exclusions: slices.Clone(r.Exclusions),
		Encryption: cmp.Or(r.Encryption, "AES256"), KMSKey: r.KMSKey,
	}
}

// Repositories lists every repository name, sorted.
func (w *World) Repositories(t testing.TB) []string {
	t.Helper()
	return w.ECR.Names()
}

// Sink reads the events published from the moment it was made.
type Sink struct {
	events *eventsrec.Recorder
	next   int
}

// CaptureEvents returns a Sink of the events published from now on.
func (w *World) CaptureEvents(t testing.TB) *Sink {
	t.Helper()
	return &Sink{events: w.Events, next: len(w.Events.Events())}
}

// Drain returns every event published since the sink was made or last drained, as a
// subscriber receives it.
func (s *Sink) Drain(t testing.TB) []account.Event {
	t.Helper()
	all := s.events.Events()
	var out []account.Event
	for _, e := range all[s.next:] {
		out = append(out, account.Event{Source: e.Source, DetailType: e.DetailType, Time: e.Time, Detail: json.RawMessage(e.Detail)})
	}
	s.next = len(all)
	return out
}

// Deadline is a context for one test step.
func Deadline(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
