// Package sagemakerfake is a small stand-in for the few SageMaker API calls the
// provisioner makes, for tests and the local demo: ListProjects, ListTags and
// DescribeProject for projects, and the calls of the inventory of images in use
// (ListEndpoints, DescribeEndpoint, DescribeEndpointConfig, DescribeModel,
// ListInferenceComponents, DescribeInferenceComponent, ListModelPackageGroups,
// ListModelPackages, DescribeModelPackage, ListTrainingJobs, DescribeTrainingJob,
// ListProcessingJobs, DescribeProcessingJob, ListImages, ListImageVersions and
// DescribeImageVersion).
//
// It exists because moto_server, which stands in for ECR, SSM, EventBridge and
// STS here, does not implement SageMaker projects: it answers 500 to
// ListProjects and to ListTags on a project ARN; nor does it report the images
// an endpoint runs (DeployedImages), inference components or image versions.
// The product reaches this server through the real AWS SDK by setting
// AWS_ENDPOINT_URL_SAGEMAKER, so it speaks SageMaker's wire protocol (AWS JSON 1.1)
// rather than exposing a Go interface: what is tested is the product's real client
// code. Tests and the demo seed projects with [Server.PutProject], and what SageMaker
// runs with [Server.PutEndpoint], [Server.PutModelPackage] and the like, in the same
// process.
package sagemakerfake

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Server is an in-memory SageMaker endpoint holding one account's projects and their tags,
// endpoints, models, model packages, jobs and images, and, once told how to tell accounts
// apart (SetAccounts), other accounts' too (Account). It implements [http.Handler] and is
// safe for concurrent use.
type Server struct {
	region  string
	account string
	mux     *http.ServeMux

	mu       sync.Mutex
	projects map[string]*project // by lower-cased name, which is what the ARN holds
	inv      inventory           // what the in-use calls read
	calls    map[string]int
	requests int // request ids
	// refused are the operations answered AccessDeniedException (see Refuse).
	refused map[string]bool
	// members are the other accounts' servers, and resolve says whose a request is.
	members map[string]*Server
	resolve func(accessKeyID string) (string, error)
	// latency is how long every call takes at least (see SetLatency), and onCall what is
	// told of each call (see OnCall).
	latency time.Duration
	onCall  func(operation string)
}

type project struct {
	name    string
	id      string
	arn     string
	created time.Time
	status  string
	tags    map[string]string
}

// New returns an empty Server whose project ARNs name region and account.
func New(region, account string) *Server {
	s := &Server{
		region:   region,
		account:  account,
		projects: map[string]*project{},
		inv:      newInventory(),
		calls:    map[string]int{},
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /{$}", s.serveAPI)
	return s
}

// ServeHTTP answers SageMaker API calls: POST / with an X-Amz-Target header, in the account
// the request's credentials belong to (see SetAccounts).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	resolve, latency, onCall := s.resolve, s.latency, s.onCall
	s.mu.Unlock()
	if onCall != nil {
		onCall(strings.TrimPrefix(r.Header.Get("X-Amz-Target"), targetPrefix))
	}
	if latency > 0 {
		time.Sleep(latency)
	}
	if resolve == nil {
		s.mux.ServeHTTP(w, r)
		return
	}
	account, err := resolve(accessKeyID(r.Header.Get("Authorization")))
	if err != nil {
		writeError(w, &apiError{http.StatusInternalServerError, "InternalFailure", "SageMaker stand-in: whose credentials: " + err.Error()})
		return
	}
	s.Account(account).mux.ServeHTTP(w, r)
}

// SetAccounts makes the server tell accounts apart: resolve names the account of a request's
// access key id (see MotoAccounts), and the request is answered with that account's projects
// and resources.
func (s *Server) SetAccounts(resolve func(accessKeyID string) (string, error)) {
	s.mu.Lock()
	s.resolve = resolve
	s.mu.Unlock()
}

// Account returns the server of another account's projects and resources, to seed them
// (PutProject, PutEndpoint, ...); its ARNs name that account. The server's own account
// returns the server itself.
func (s *Server) Account(id string) *Server {
	if id == s.account {
		return s
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.members == nil {
		s.members = map[string]*Server{}
	}
	m := s.members[id]
	if m == nil {
		m = New(s.region, id)
		s.members[id] = m
	}
	return m
}

// accessKeyID reads the access key id of a SigV4 Authorization header
// ("AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request, ...").
func accessKeyID(authorization string) string {
	_, cred, ok := strings.Cut(authorization, "Credential=")
	if !ok {
		return ""
	}
	key, _, _ := strings.Cut(cred, "/")
	return key
}

// PutProject creates the project name, or replaces it with a new one, with the
// given id and tags, and returns its ARN. Like SageMaker, the ARN holds the
// name lower-cased, so names that differ only in case are the same project.
// An empty id is replaced by a SageMaker-shaped one derived from the name.
// A replaced project gets a new creation time.
func (s *Server) PutProject(name, id string, tags map[string]string) (arn string) {
	if id == "" {
		sum := sha256.Sum256([]byte(strings.ToLower(name)))
		id = "p-" + hex.EncodeToString(sum[:])[:12]
	}
	p := &project{
		name:    name,
		id:      id,
		arn:     s.projectARN(name),
		created: time.Now().UTC(),
		status:  "CreateCompleted",
		tags:    maps.Clone(tags),
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.projects[strings.ToLower(name)] = p
	return p.arn
}

// SetCreated sets the project's creation time, as if it had been created then. It fails if
// there is no such project.
func (s *Server) SetCreated(name string, created time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.projects[strings.ToLower(name)]
	if p == nil {
		return fmt.Errorf("no project %q", name)
	}
	p.created = created.UTC()
	return nil
}

// SetStatus sets the ProjectStatus SageMaker reports for the project, e.g. "DeleteInProgress"
// while a deletion runs. It fails if there is no such project.
func (s *Server) SetStatus(name, status string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.projects[strings.ToLower(name)]
	if p == nil {
		return fmt.Errorf("no project %q", name)
	}
	p.status = status
	return nil
}

// DeleteProject removes the project name (compared without case, as its ARN
// is). Deleting a project that does not exist does nothing.
func (s *Server) DeleteProject(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.projects, strings.ToLower(name))
}

// SetLatency makes every call, in every account, take at least d before it is answered, as
// a real service's round trip does: what a run can read in its time is then bounded.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// OnCall has fn told the operation of every call, in every account, before it is answered: a
// test arranges something to happen while the product is in the middle of its reads.
func (s *Server) OnCall(fn func(operation string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onCall = fn
}

// Refuse makes the account answer every call of operation (for example "ListProjects") with
// the AccessDeniedException SageMaker answers when a policy denies the call: an organization's
// SCP, say, while the member role can still be assumed. Reset lifts it.
func (s *Server) Refuse(operation string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refused == nil {
		s.refused = map[string]bool{}
	}
	s.refused[operation] = true
}

// Allow lifts Refuse for operation.
func (s *Server) Allow(operation string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.refused, operation)
}

// Calls returns how many times each SageMaker operation was called, by
// operation name (for example "ListTags"), including operations the server
// does not implement.
func (s *Server) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.calls)
}

// Reset forgets every project, every other resource and every counted call, in every account.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.projects)
	s.inv = newInventory()
	clear(s.calls)
	clear(s.refused)
	clear(s.members)
}

func (s *Server) projectARN(name string) string {
	return fmt.Sprintf("arn:aws:sagemaker:%s:%s:project/%s", s.region, s.account, strings.ToLower(name))
}

// byARN finds a project by exact ARN: a client that builds an ARN with the
// wrong case or region should fail here as it would against SageMaker.
// The caller holds s.mu.
func (s *Server) byARN(arn string) *project {
	name, ok := strings.CutPrefix(arn, s.projectARN(""))
	if !ok {
		return nil
	}
	return s.projects[name] // nil unless name is already lower case
}
