// Package datazonefake is a small stand-in for the few Amazon DataZone API calls the
// provisioner makes for SageMaker Unified Studio projects (GetProject, ListProjects and
// GetDomainUnit), for tests and the local demo.
//
// It exists because moto_server, which stands in for ECR, SSM, EventBridge and STS here, has
// no DataZone at all. The product reaches this server through the real AWS SDK by setting
// AWS_ENDPOINT_URL_DATAZONE, so it speaks DataZone's wire protocol (REST JSON under
// /v2/domains/{domainIdentifier}/...) rather than exposing a Go interface: what is tested is
// the product's real client code. Tests and the demo seed domains, domain units and projects
// with [Server.PutDomain], [Server.PutDomainUnit] and [Server.PutProject] in the same process,
// and change them as a person in Unified Studio would with [Server.SetStatus],
// [Server.Rename], [Server.Move] and [Server.Delete].
package datazonefake

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Server is an in-memory DataZone endpoint holding the domains of one account, with their
// domain units and projects. It implements [http.Handler] and is safe for concurrent use.
type Server struct {
	mux *http.ServeMux

	mu       sync.Mutex
	domains  map[string]*domain
	calls    map[string]int
	requests int // request ids
	seq      int // project ids
	pageSize int
	// refused holds, by domain and then operation, the error type that operation answers
	// (see Refuse).
	refused map[string]map[string]string
}

type domain struct {
	units    map[string]*unit
	projects map[string]*Project
}

type unit struct {
	name    string
	created time.Time
}

// Project is a DataZone project as the stand-in holds it and GetProject returns it. Its
// fields are those of the GetProject response; PutProject fills in the ones left empty.
type Project struct {
	// ID is the project id, the identifier GetProject takes.
	ID string
	// DomainID is the id of the domain the project belongs to; PutProject sets it, whatever
	// it held.
	DomainID string
	// Name is the project's name as its owner typed it. DataZone allows letters, digits,
	// spaces, '-' and '_'; the stand-in does not check it.
	Name string
	// Description is optional.
	Description string
	// DomainUnitID is the id of the domain unit that owns the project. GetDomainUnit answers
	// ResourceNotFoundException unless the unit was put with PutDomainUnit.
	DomainUnitID string
	// Status is the projectStatus: ACTIVE, DELETING, DELETE_FAILED, UPDATING,
	// UPDATE_FAILED or MOVING. Any other string is sent as is, as a status the SDK does not
	// know yet would be.
	Status string
	// ResourceTags are the tags the project profile (or the project's creator) gave the
	// project's resources; see [Tags] to build them from a map.
	ResourceTags []ResourceTag
	// CreatedAt and LastUpdatedAt travel in UTC to the millisecond; PutProject converts and
	// truncates them.
	CreatedAt     time.Time
	LastUpdatedAt time.Time
	// CreatedBy is the id of the user who created the project.
	CreatedBy string
	// ProjectProfileID is the id of the project profile the project was created from;
	// optional.
	ProjectProfileID string
	// Unlisted leaves the project out of ListProjects while GetProject still answers it, as a
	// listing that lags behind a project would.
	Unlisted bool
}

// ResourceTag is one of a project's resourceTags.
type ResourceTag struct {
	// Key is the tag's key, e.g. the one the provisioner's datazone-team-tag names.
	Key string
	// Value is the tag's value.
	Value string
	// Source is PROJECT_PROFILE or PROJECT; PutProject makes an empty one PROJECT_PROFILE.
	Source string
}

// Resource tag sources, as DataZone names them.
const (
	SourceProjectProfile = "PROJECT_PROFILE"
	SourceProject        = "PROJECT"
)

// Project statuses, as DataZone names them.
const (
	StatusActive       = "ACTIVE"
	StatusDeleting     = "DELETING"
	StatusDeleteFailed = "DELETE_FAILED"
	StatusUpdating     = "UPDATING"
	StatusUpdateFailed = "UPDATE_FAILED"
	StatusMoving       = "MOVING"
)

// DefaultCreatedBy is the createdBy of a project put without one: a DataZone user id.
const DefaultCreatedBy = "a1b2c3d4-5678-90ab-cdef-example11111"

// DefaultPageSize is the most projects a ListProjects page holds unless SetPageSize says
// otherwise; it is also the largest maxResults DataZone accepts.
const DefaultPageSize = 50

// Tags returns resource tags for a map, sorted by key, each from the project profile.
func Tags(m map[string]string) []ResourceTag {
	tags := make([]ResourceTag, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		tags = append(tags, ResourceTag{Key: k, Value: m[k], Source: SourceProjectProfile})
	}
	return tags
}

// New returns an empty Server: no domains, pages of DefaultPageSize.
func New() *Server {
	s := &Server{
		domains:  map[string]*domain{},
		calls:    map[string]int{},
		pageSize: DefaultPageSize,
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /v2/domains/{domainIdentifier}/projects/{identifier}", s.handle(opGetProject, (*Server).getProject))
	s.mux.HandleFunc("GET /v2/domains/{domainIdentifier}/projects", s.handle(opListProjects, (*Server).listProjects))
	s.mux.HandleFunc("GET /v2/domains/{domainIdentifier}/domain-units/{identifier}", s.handle(opGetDomainUnit, (*Server).getDomainUnit))
	s.mux.HandleFunc("/", s.unknown)
	return s
}

// ServeHTTP answers DataZone API calls. A request for any other path or method is answered
// 404 UnknownOperationException naming it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// PutDomain makes the domain id exist, with no domain units and no projects, if it does not
// already. It panics if id is not a DataZone domain id (dzd_ or dzd- and up to 36 letters,
// digits, '_' or '-'), which DataZone could never hold.
func (s *Server) PutDomain(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.domain(id)
}

// PutDomainUnit creates the domain unit unitID of domain, or renames it, creating the domain
// if need be. It has no parent and no owners. It panics on a domain id (see PutDomain) or a
// unit id (lower-case letters, digits, '_' and '-') DataZone could not hold.
func (s *Server) PutDomainUnit(domainID, unitID, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.domain(domainID)
	if !unitIDPattern.MatchString(unitID) {
		panic(fmt.Sprintf("datazonefake: %q is not a DataZone domain unit id (%s)", unitID, unitIDPattern))
	}
	if u := d.units[unitID]; u != nil {
		u.name = name
		return
	}
	// To the second: the SDK reads epoch seconds through a float, which does not carry every
	// millisecond exactly.
	d.units[unitID] = &unit{name: name, created: now().Truncate(time.Second)}
}

// PutProject creates the project p in domain, or replaces the one with the same ID, creating
// the domain if need be, and returns it as GetProject will: an empty ID is replaced by a
// DataZone-shaped one, an empty Status by ACTIVE, a zero CreatedAt by now, a zero
// LastUpdatedAt by CreatedAt, an empty CreatedBy by DefaultCreatedBy and an empty tag Source
// by PROJECT_PROFILE. It panics on a domain id (see PutDomain) or a project id (up to 36
// letters, digits, '_' or '-') DataZone could not hold.
func (s *Server) PutProject(domainID string, p Project) Project {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.domain(domainID)
	p.DomainID = domainID
	if p.ID == "" {
		s.seq++
		sum := sha256.Sum256(fmt.Appendf(nil, "%s/%d", domainID, s.seq))
		p.ID = strings.ToLower(base32.HexEncoding.EncodeToString(sum[:]))[:14]
	}
	if !projectIDPattern.MatchString(p.ID) {
		panic(fmt.Sprintf("datazonefake: %q is not a DataZone project id (%s)", p.ID, projectIDPattern))
	}
	if p.Status == "" {
		p.Status = StatusActive
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = now()
	}
	p.CreatedAt = p.CreatedAt.UTC().Truncate(time.Millisecond)
	if p.LastUpdatedAt.IsZero() {
		p.LastUpdatedAt = p.CreatedAt
	}
	p.LastUpdatedAt = p.LastUpdatedAt.UTC().Truncate(time.Millisecond)
	if p.CreatedBy == "" {
		p.CreatedBy = DefaultCreatedBy
	}
	p.ResourceTags = slices.Clone(p.ResourceTags)
	for i := range p.ResourceTags {
		if p.ResourceTags[i].Source == "" {
			p.ResourceTags[i].Source = SourceProjectProfile
		}
	}
	stored := p
	d.projects[p.ID] = &stored
	p.ResourceTags = slices.Clone(p.ResourceTags)
	return p
}

// SetStatus sets the projectStatus DataZone reports for the project, e.g. DELETING while a
// deletion runs, and its lastUpdatedAt to now. It fails if there is no such project.
func (s *Server) SetStatus(domainID, projectID, status string) error {
	return s.update(domainID, projectID, func(p *Project) { p.Status = status })
}

// Rename changes the project's name, as its owner may in Unified Studio, and its
// lastUpdatedAt to now. It fails if there is no such project.
func (s *Server) Rename(domainID, projectID, name string) error {
	return s.update(domainID, projectID, func(p *Project) { p.Name = name })
}

// Move makes the domain unit unitID own the project, and sets its lastUpdatedAt to now; the
// status is left as it is (see SetStatus for MOVING). It fails if there is no such project.
func (s *Server) Move(domainID, projectID, unitID string) error {
	return s.update(domainID, projectID, func(p *Project) { p.DomainUnitID = unitID })
}

// Delete removes the project: GetProject answers ResourceNotFoundException for it and
// ListProjects no longer lists it. Deleting a project that does not exist does nothing.
func (s *Server) Delete(domainID, projectID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d := s.domains[domainID]; d != nil {
		delete(d.projects, projectID)
	}
}

// Refuse makes every call of operation (GetProject, ListProjects or GetDomainUnit) on domain
// fail with errorType, as DataZone answers it: AccessDeniedException (403) when a policy
// denies the call, ThrottlingException (429), InternalServerException (500),
// ResourceNotFoundException (404), ValidationException (400), UnauthorizedException (401),
// ConflictException (409) or ServiceQuotaExceededException (402). Allow or Reset lifts it. It
// panics on any other operation or error type, a mistake in the calling test.
func (s *Server) Refuse(domainID, operation, errorType string) {
	if _, ok := statuses[errorType]; !ok {
		panic(fmt.Sprintf("datazonefake: Refuse: unknown DataZone error type %q", errorType))
	}
	if !slices.Contains(operations, operation) {
		panic(fmt.Sprintf("datazonefake: Refuse: operation %q is not served (only %s)", operation, strings.Join(operations, ", ")))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refused == nil {
		s.refused = map[string]map[string]string{}
	}
	if s.refused[domainID] == nil {
		s.refused[domainID] = map[string]string{}
	}
	s.refused[domainID][operation] = errorType
}

// Allow lifts Refuse for operation on domain.
func (s *Server) Allow(domainID, operation string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.refused[domainID], operation)
}

// SetPageSize sets the most projects a ListProjects page holds: maxResults is honoured up to
// it, and a call without maxResults gets pages of it. n below 1 restores DefaultPageSize.
func (s *Server) SetPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n < 1 {
		n = DefaultPageSize
	}
	s.pageSize = n
}

// Calls returns how many requests each DataZone operation got, by operation name (for
// example "GetProject"), failed ones included. Requests the server does not serve are counted
// under their method and path, e.g. "DELETE /v2/domains/dzd_x/projects/p1".
func (s *Server) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.calls)
}

// Reset forgets every domain, counted call and refusal, and restores DefaultPageSize.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.domains)
	clear(s.calls)
	clear(s.refused)
	s.pageSize = DefaultPageSize
}

// domain returns the domain id, creating it if need be. The caller holds s.mu.
func (s *Server) domain(id string) *domain {
	if !domainIDPattern.MatchString(id) {
		panic(fmt.Sprintf("datazonefake: %q is not a DataZone domain id (%s)", id, domainIDPattern))
	}
	d := s.domains[id]
	if d == nil {
		d = &domain{units: map[string]*unit{}, projects: map[string]*Project{}}
		s.domains[id] = d
	}
	return d
}

func (s *Server) update(domainID, projectID string, change func(*Project)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.domains[domainID]
	if d == nil {
		return fmt.Errorf("no domain %q", domainID)
	}
	p := d.projects[projectID]
	if p == nil {
		return fmt.Errorf("no project %q in domain %s", projectID, domainID)
	}
	change(p)
	p.LastUpdatedAt = now()
	if p.LastUpdatedAt.Before(p.CreatedAt) { // a test may have created it in the future
		p.LastUpdatedAt = p.CreatedAt
	}
	return nil
}

// now is the time as DataZone sends it: UTC, to the millisecond.
func now() time.Time {
	return time.Now().UTC().Truncate(time.Millisecond)
}
