// Package projects is every read the product makes of SageMaker: which projects exist, their
// current tags, whether one is alive, and the Project both handlers build from what they read.
// Events are triggers, not the truth; this is where the truth is read.
package projects

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/smithy-go"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
)

// Project is a project that is to have repositories: a SageMaker project, or a SageMaker
// Unified Studio (Amazon DataZone) project.
type Project struct {
	// Name is the project name; repository names use it lower-cased (see Part).
	Name string
	// ID is the project id (p-... for SageMaker), empty when unknown.
	ID string
	// Team is the value of the project's team tag (for a Unified Studio project, of its team
	// resource tag or its domain unit's name, as a name part).
	Team string
	// Account is the member account the project lives in; empty for this account's own.
	Account string
	// Domain is a Unified Studio project's DataZone domain id (ID is then its DataZone project
	// id); empty for a SageMaker project.
	Domain string
	// Namespace is where the project's repositories already are, when it is not where its
	// name and team now put them: a Unified Studio project keeps its repositories when it is
	// renamed or moved. Empty: the namespace its team and name make.
	Namespace string
}

// Studio reports whether the project is a SageMaker Unified Studio project.
func (p Project) Studio() bool { return p.Domain != "" }

// Part is the project's name as a part of its repositories' names: a SageMaker project name
// lower-cased, a Unified Studio project name with its spaces made '-' too (naming.StudioPart).
func (p Project) Part() string {
	if p.Studio() {
		return naming.StudioPart(p.Name)
	}
	return p.Name
}

// Identify builds the Project from what an event or a listing names (the project's name, and
// its id when known) and the project's current tags. The name takes SageMaker's own
// sagemaker:project-name tag when that is the same name in another case (an ARN spells it in
// lower case; the tag keeps the case it was created with); the id comes from the
// sagemaker:project-id tag when none was named; the team is the value of teamTag, empty when
// the project has none yet.
func Identify(name, id string, tags map[string]string, teamTag string) Project {
	p := Project{Name: name, ID: id, Team: tags[teamTag]}
	if n := tags[naming.TagProjectName]; n != "" && strings.EqualFold(n, name) {
		p.Name = n
	}
	if p.ID == "" {
		p.ID = tags[naming.TagProjectID]
	}
	return p
}

// Live reports whether a project in status s exists and is to have repositories: created (or
// being created), being updated, or still there after a deletion that failed. Pending and
// failed creations are not yet, and deletions under way or done not any more.
func Live(s smtypes.ProjectStatus) bool { return stateOf(s) == live }

// Going reports whether a project in status s is deleted or being deleted. SageMaker deletes a
// project asynchronously, so DeleteInProgress already counts.
func Going(s smtypes.ProjectStatus) bool { return stateOf(s) == going }

type state int

const (
	live state = iota
	notYet
	going
)

// stateOf is the one place that reads a project status.
func stateOf(s smtypes.ProjectStatus) state {
	switch s {
	case smtypes.ProjectStatusDeleteInProgress, smtypes.ProjectStatusDeleteCompleted:
		return going
	case smtypes.ProjectStatusPending, smtypes.ProjectStatusCreateFailed:
		return notYet
	}
	return live
}

// NotFound reports whether SageMaker answered that it does not know the project, on the two
// calls that ask about one: DescribeProject (by name) and ListTags (on the project's ARN).
//
// What SageMaker answers for a project that does not exist:
//   - Neither call declares a not-found error. SageMaker's API model (botocore
//     data/sagemaker/2017-07-24/service-2.json; aws-sdk-go-v2 service/sagemaker is generated from
//     the same model) lists no error shape for DescribeProject or ListTags, so a missing project
//     comes back as the common ValidationException (HTTP 400).
//   - DescribeProject: a ValidationException saying the project "does not exist".
//     terraform-provider-aws reads exactly that as gone (internal/service/sagemaker/project.go,
//     findProjectByName; its delete accepts the same). The ACK sagemaker-controller takes every
//     ValidationException of DescribeProject for not found (generator.yaml, Project: 404 is
//     ValidationException; pkg/resource/project/sdk.go, sdkFind): too broad here, since a
//     malformed request is a ValidationException too.
//   - ListTags: a ValidationException as well (aws/amazon-sagemaker-feedback issue 108, ListTags
//     on a deleted resource); its wording for a project is not published. SageMaker's other
//     not-found ValidationExceptions say "... does not exist." (ACK generator.yaml, ModelPackage
//     and ModelPackageGroup) or "Requested resource not found" (TrainingJob).
//   - ResourceNotFound (types.ResourceNotFound in aws-sdk-go-v2 service/sagemaker
//     types/errors.go, "Resource being access is not found") is declared by about half of
//     SageMaker's operations, the newer ones (DescribeImage, DescribeDomain, DescribePipeline,
//     ...), not by these two. It is accepted all the same: it can mean nothing but not found.
//
// So ResourceNotFound, or a ValidationException whose message says "does not exist", "not
// found" or "could not find" (DescribeEndpoint's and others' wording), is gone. Anything else
// cannot tell whether the resource exists and stays an error: a ValidationException about the
// request (a name or ARN that fails the API's pattern), AccessDeniedException,
// ThrottlingException, a 5xx, a network error. NotFound is the one rule of every SageMaker read
// of the product's (internal/inuse reads endpoints, packages and jobs with it too).
func NotFound(err error) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	switch apiErr.ErrorCode() {
	case "ResourceNotFound":
		return true
	case "ValidationException":
		msg := strings.ToLower(apiErr.ErrorMessage())
		return strings.Contains(msg, "not found") || strings.Contains(msg, "does not exist") || strings.Contains(msg, "could not find")
	}
	return false
}

// Tags reads the project's current tags, every page. gone is true when the project does not
// exist (any more).
func Tags(ctx context.Context, api sagemaker.ListTagsAPIClient, arn string) (tags map[string]string, gone bool, err error) {
	tags = map[string]string{}
	pages := sagemaker.NewListTagsPaginator(api, &sagemaker.ListTagsInput{ResourceArn: aws.String(arn)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if NotFound(err) {
			return nil, true, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("read tags of %s: %w", arn, err)
		}
		for _, t := range page.Tags {
			tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	return tags, false, nil
}

// DescribeAPI is the SageMaker call that reads a project's status.
type DescribeAPI interface {
	DescribeProject(ctx context.Context, in *sagemaker.DescribeProjectInput, opts ...func(*sagemaker.Options)) (*sagemaker.DescribeProjectOutput, error)
}

// Gone reports whether the project named is deleted: SageMaker no longer knows it (see
// NotFound), or says it is Going (DeleteInProgress, DeleteCompleted). This is the one rule, for
// a DeleteProject record and for the reconciler alike. Any other status is a live project,
// whatever its creation time: DeleteFailed leaves the project there, and a project of the same
// name created since a deletion is live too. An answer that cannot tell is an error, never
// "gone".
func Gone(ctx context.Context, api DescribeAPI, name string) (bool, error) {
	out, err := api.DescribeProject(ctx, &sagemaker.DescribeProjectInput{ProjectName: aws.String(name)})
	if NotFound(err) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("describe project %s: %w", name, err)
	}
	return Going(out.ProjectStatus), nil
}

// Window bounds the creation time of the projects Walk lists; a zero bound is no bound.
type Window struct {
	After, Before time.Time
}

// Walk calls fn for every live project created in the window, newest first (the likeliest to
// have missed their event), a page of 100 at a time. It stops when fn returns false, ctx ends
// or a page cannot be read; done is true when it saw every project of the window.
func Walk(ctx context.Context, api sagemaker.ListProjectsAPIClient, w Window, fn func(smtypes.ProjectSummary) bool) (done bool, err error) {
	in := &sagemaker.ListProjectsInput{
		MaxResults: aws.Int32(100), SortBy: smtypes.ProjectSortByCreationTime, SortOrder: smtypes.ProjectSortOrderDescending,
	}
	if !w.After.IsZero() {
		in.CreationTimeAfter = aws.Time(w.After)
	}
	if !w.Before.IsZero() {
		in.CreationTimeBefore = aws.Time(w.Before)
	}
	pages := sagemaker.NewListProjectsPaginator(api, in)
	for pages.HasMorePages() {
		if ctx.Err() != nil {
			return false, nil
		}
		page, err := pages.NextPage(ctx)
		if err != nil {
			return false, fmt.Errorf("list SageMaker projects: %w", err)
		}
		for _, p := range page.ProjectSummaryList {
			if Live(p.ProjectStatus) && !fn(p) {
				return false, nil
			}
		}
	}
	return true, nil
}
