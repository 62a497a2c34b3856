// Package taggingfake is a small stand-in for the one Resource Groups Tagging API call the
// provisioner makes, GetResources, limited to ECR repositories, for tests.
//
// It exists because moto_server, which stands in for ECR, SSM, EventBridge and STS here,
// answers GetResources with no ECR repository at all, so a lookup of repositories by tag
// finds nothing. The server holds no state of its own: it answers each request from the
// repositories and tags an ECR API holds at that moment (moto through an *ecr.Client, or an
// in-memory registry with the same methods), as the real service answers from the resources
// of the account. The product reaches it through the real AWS SDK by setting
// AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API, so it speaks the service's wire protocols
// rather than exposing a Go interface: both AWS JSON 1.1 (X-Amz-Target) and Smithy RPC v2
// CBOR, which is what the SDK's client sends by default.
//
// Like the real service it lists only tagged resources, but it cannot know which
// repositories were tagged once and no longer are, so an untagged repository never appears.
package taggingfake

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/ecr"
)

// ECR is the registry the server answers from, with the SDK's own method signatures:
// *ecr.Client satisfies it, and so does an in-memory registry that stands where one stands.
// DescribeRepositories is read a page at a time, following NextToken.
type ECR interface {
	DescribeRepositories(ctx context.Context, in *ecr.DescribeRepositoriesInput, optFns ...func(*ecr.Options)) (*ecr.DescribeRepositoriesOutput, error)
	ListTagsForResource(ctx context.Context, in *ecr.ListTagsForResourceInput, optFns ...func(*ecr.Options)) (*ecr.ListTagsForResourceOutput, error)
}

var _ ECR = (*ecr.Client)(nil)

// Server is a Resource Groups Tagging API endpoint that answers GetResources from the ECR
// repositories of its source. It implements http.Handler and is safe for concurrent use.
type Server struct {
	source ECR

	mu       sync.Mutex
	calls    int // GetResources requests
	requests int // request ids
	// refused is the error code every request is answered with (see Refuse); "" for none.
	refused string
}

// New returns a Server that answers from the repositories source holds when each request
// arrives.
func New(source ECR) *Server {
	return &Server{source: source}
}

// Calls returns how many GetResources requests the server has answered, whatever the
// answer: refused and rejected requests count too.
func (s *Server) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// Refuse makes the server answer every request with the error errorType (for example
// "ThrottledException", or "InternalServiceException", which is a 500), until Allow. The
// request still counts in Calls, and the source is not read.
func (s *Server) Refuse(errorType string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refused = errorType
}

// Allow lifts Refuse: requests are answered again.
func (s *Server) Allow() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refused = ""
}
