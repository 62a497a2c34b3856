// Package world is one integration test's AWS: moto_server reset for the test, a SageMaker
// stand-in, the product's SDK clients recorded and checked against the safety invariants on
// every request, and the emulated account (internal/testing/account) to arrange and read the
// world without polluting that record.
package world

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datazone"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/accounts"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/datazonefake"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/invariants"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/moto"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/sagemakerfake"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/stsgate"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/taggingfake"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/wire"
)

// World is one test's AWS: a freshly reset moto, a SageMaker stand-in that serves every
// account's projects, an STS gate that can refuse a member account's role, and two sets of
// clients.
// The product's clients go through Rec, so a test can assert on exactly what the product sent;
// Setup's do not, so arranging the world does not pollute that record. Every request of the
// product is also checked against the safety invariants (see internal/testing/invariants); a
// test that breaks one fails, whatever it asserts itself.
type World struct {
	Moto *moto.Server
	Rec  *wire.Recorder
	// SageMakerURL is the stand-in's endpoint; SageMaker holds this account's projects, and
	// SageMaker.Account(id) a member account's.
	SageMakerURL string
	SageMaker    *sagemakerfake.Server
	// STS stands between the product and moto's STS (see stsgate): Deny makes a member's role
	// impossible to assume.
	STS *stsgate.Gate
	// DataZone is the SageMaker Unified Studio (DataZone) stand-in, and Tagging the Resource
	// Groups Tagging API's, which answers from what moto's ECR holds now.
	DataZone *datazonefake.Server
	Tagging  *taggingfake.Server

	// The product's clients, recorded.
	ECR         *ecr.Client
	SSM         *ssm.Client
	EventBridge *eventbridge.Client
	Projects    *sagemaker.Client
	Studio      *datazone.Client
	Tags        *resourcegroupstaggingapi.Client
	// Accounts is the product's view of the accounts: this one (account.ID), with Projects,
	// and the members' SageMaker through the member role, assumed through STS.
	Accounts *accounts.Directory

	// Setup is the emulated account as a person sees it; its calls are not recorded.
	Setup *account.Account

	inv *invariants.Checker
}

// New resets moto and returns a World on it.
func New(t testing.TB, m *moto.Server) *World {
	t.Helper()
	if err := m.Reset(); err != nil {
		t.Fatal(err)
	}
	fake := sagemakerfake.New(account.Region, account.ID)
	fake.SetAccounts(sagemakerfake.MotoAccounts(m.URL))
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	gate, err := stsgate.New(m.URL)
	if err != nil {
		t.Fatal(err)
	}
	gateSrv := httptest.NewServer(gate)
	t.Cleanup(gateSrv.Close)

	setup := account.New(m.URL)
	dz := datazonefake.New()
	dzSrv := httptest.NewServer(dz)
	t.Cleanup(dzSrv.Close)
	tagging := taggingfake.New(setup.ECR)
	tagSrv := httptest.NewServer(tagging)
	t.Cleanup(tagSrv.Close)

	inv := invariants.New()
	rec := &wire.Recorder{Check: inv.Check}
	t.Cleanup(func() { inv.Report(t) })
	product := account.SDK(m.URL, rec)
	sm := func(o *sagemaker.Options) { o.BaseEndpoint = aws.String(srv.URL) }
	projects := sagemaker.NewFromConfig(product, sm)
	return &World{
		Moto: m, Rec: rec, SageMakerURL: srv.URL, SageMaker: fake, STS: gate, DataZone: dz, Tagging: tagging,
		ECR:         ecr.NewFromConfig(product),
		SSM:         ssm.NewFromConfig(product),
		EventBridge: eventbridge.NewFromConfig(product),
		Projects:    projects,
		Studio:      datazone.NewFromConfig(product, func(o *datazone.Options) { o.BaseEndpoint = aws.String(dzSrv.URL) }),
		Tags: resourcegroupstaggingapi.NewFromConfig(product, func(o *resourcegroupstaggingapi.Options) {
			o.BaseEndpoint = aws.String(tagSrv.URL)
		}),
		Accounts: &accounts.Directory{
			Home: account.ID, HomeSageMaker: projects,
			STS: sts.NewFromConfig(product, func(o *sts.Options) { o.BaseEndpoint = aws.String(gateSrv.URL) }),
			AWS: product,
			NewSageMaker: func(cfg aws.Config) accounts.SageMaker {
				return sagemaker.NewFromConfig(cfg, sm)
			},
		},
		Setup: setup,
		inv:   inv,
	}
}

// PutConfig writes configuration parameters (names relative to account.ConfigPath) and tells
// the invariants what the configuration now is.
func (w *World) PutConfig(t testing.TB, values map[string]string) {
	t.Helper()
	w.inv.Configure(account.ConfigPath, values)
	if err := w.Setup.PutConfig(context.Background(), values); err != nil {
		t.Fatal(err)
	}
}

// DeleteConfig deletes configuration parameters (names relative to account.ConfigPath) and tells
// the invariants.
func (w *World) DeleteConfig(t testing.TB, names ...string) {
	t.Helper()
	w.inv.Forget(account.ConfigPath, names)
	if err := w.Setup.DeleteConfig(context.Background(), names...); err != nil {
		t.Fatal(err)
	}
}

// Sink collects the product's events (see account.RouteEvents).
type Sink struct{ q *account.EventQueue }

// CaptureEvents routes the product's events (only those of the given detail types, when any
// are named) to a new queue.
func (w *World) CaptureEvents(t testing.TB, detailTypes ...string) *Sink {
	t.Helper()
	q, err := w.Setup.RouteEvents(context.Background(), detailTypes...)
	if err != nil {
		t.Fatal(err)
	}
	return &Sink{q: q}
}

// Drain returns, and removes, every event received so far.
func (s *Sink) Drain(t testing.TB) []account.Event {
	t.Helper()
	events, err := s.q.Drain(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return events
}

// Repository returns one repository as moto holds it, with its tags and policies; the test fails
// when it does not exist.
func (w *World) Repository(t testing.TB, name string) account.Repository {
	t.Helper()
	r, ok, err := w.Setup.Repository(context.Background(), name)
	if err != nil || !ok {
		t.Fatalf("repository %s: %v, exists %v", name, err, ok)
	}
	return r
}

// Repositories lists every repository name in moto.
func (w *World) Repositories(t testing.TB) []string {
	t.Helper()
	names, err := w.Setup.RepositoryNames(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// Deadline is a context for one test step.
func Deadline(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// Route sends the product's ECR, SSM and EventBridge clients through endpoint (a fault proxy in
// front of moto, say) with the given retryer, still recorded and still checked. SageMaker calls
// keep going to the stand-in.
func (w *World) Route(endpoint string, retryer func() aws.Retryer) {
	cfg := account.SDK(endpoint, w.Rec)
	cfg.RetryMaxAttempts = 0 // the retryer decides
	cfg.Retryer = retryer
	w.ECR = ecr.NewFromConfig(cfg)
	w.SSM = ssm.NewFromConfig(cfg)
	w.EventBridge = eventbridge.NewFromConfig(cfg)
}
