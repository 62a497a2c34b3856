package datazonefake

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Wire shapes, field names as in the DataZone API model. A project's timestamps travel as
// date-time strings (RFC 3339, to the millisecond); a domain unit's as epoch seconds in a JSON
// number, which the stand-in keeps to whole seconds.

type resourceTag struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Source string `json:"source"`
}

type getProjectOutput struct {
	ID               string        `json:"id"`
	DomainID         string        `json:"domainId"`
	Name             string        `json:"name"`
	Description      string        `json:"description,omitempty"`
	DomainUnitID     string        `json:"domainUnitId,omitempty"`
	ProjectStatus    string        `json:"projectStatus"`
	ResourceTags     []resourceTag `json:"resourceTags,omitempty"`
	CreatedAt        string        `json:"createdAt"`
	LastUpdatedAt    string        `json:"lastUpdatedAt"`
	CreatedBy        string        `json:"createdBy"`
	ProjectProfileID string        `json:"projectProfileId,omitempty"`
}

type projectSummary struct {
	ID            string `json:"id"`
	DomainID      string `json:"domainId"`
	Name          string `json:"name"`
	Description   string `json:"description,omitempty"`
	DomainUnitID  string `json:"domainUnitId,omitempty"`
	ProjectStatus string `json:"projectStatus"`
	CreatedAt     string `json:"createdAt"`
	UpdatedAt     string `json:"updatedAt"`
	CreatedBy     string `json:"createdBy"`
}

type listProjectsOutput struct {
	Items     []projectSummary `json:"items"`
	NextToken string           `json:"nextToken,omitempty"`
}

// domainUnitOwner is one of a domain unit's owners: {"user": {"userId": ...}} or
// {"group": {"groupId": ...}}. The stand-in's units have none.
type domainUnitOwner map[string]map[string]string

type getDomainUnitOutput struct {
	ID                 string            `json:"id"`
	DomainID           string            `json:"domainId"`
	Name               string            `json:"name"`
	Description        string            `json:"description,omitempty"`
	ParentDomainUnitID string            `json:"parentDomainUnitId,omitempty"`
	Owners             []domainUnitOwner `json:"owners"`
	CreatedAt          float64           `json:"createdAt"`
}

// dateTime is the SDK's date-time encoding: RFC 3339 in UTC, to the millisecond.
func dateTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.999Z")
}

// epochSeconds is the SDK's epoch-seconds encoding, to the millisecond.
func epochSeconds(t time.Time) float64 {
	return float64(t.UnixMilli()) / 1000
}

// lookup finds a domain by id, checking the id's pattern first. The caller holds s.mu.
func (s *Server) lookup(domainID string) (*domain, *apiError) {
	if !domainIDPattern.MatchString(domainID) {
		return nil, patternError("domainIdentifier", domainID, domainIDPattern)
	}
	d := s.domains[domainID]
	if d == nil {
		return nil, notFound("Domain %s not found.", domainID)
	}
	return d, nil
}

// getProject answers GetProject. A project that is not there, deleted or never put, is a
// ResourceNotFoundException.
func (s *Server) getProject(r *http.Request) (any, *apiError) {
	domainID, id := r.PathValue("domainIdentifier"), r.PathValue("identifier")
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.lookup(domainID)
	if err != nil {
		return nil, err
	}
	if !projectIDPattern.MatchString(id) {
		return nil, patternError("identifier", id, projectIDPattern)
	}
	p := d.projects[id]
	if p == nil {
		return nil, notFound("Project %s not found in domain %s.", id, domainID)
	}
	out := getProjectOutput{
		ID:               p.ID,
		DomainID:         p.DomainID,
		Name:             p.Name,
		Description:      p.Description,
		DomainUnitID:     p.DomainUnitID,
		ProjectStatus:    p.Status,
		CreatedAt:        dateTime(p.CreatedAt),
		LastUpdatedAt:    dateTime(p.LastUpdatedAt),
		CreatedBy:        p.CreatedBy,
		ProjectProfileID: p.ProjectProfileID,
	}
	for _, t := range p.ResourceTags {
		out.ResourceTags = append(out.ResourceTags, resourceTag(t))
	}
	return out, nil
}

// ListProjects filters the stand-in does not apply; a call with any of them is refused
// rather than answered as if it had none.
var unsupportedFilters = []string{"groupIdentifier", "name", "projectCategory", "userIdentifier"}

// listProjects answers ListProjects, newest createdAt first and, among projects created in the
// same millisecond, by id. A page holds up to maxResults projects, and never more than the page
// size (see SetPageSize). The token names the last project of its page, so a project put or
// deleted between pages neither shifts nor repeats the others.
func (s *Server) listProjects(r *http.Request) (any, *apiError) {
	domainID := r.PathValue("domainIdentifier")
	query := r.URL.Query()
	for _, f := range unsupportedFilters {
		if query.Has(f) {
			return nil, validationError("ListProjects filter %s is not supported by the DataZone stand-in", f)
		}
	}
	var limit int
	if query.Has("maxResults") {
		v := query.Get("maxResults")
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			return nil, validationError("1 validation error detected: Value '%s' at 'maxResults' failed to satisfy constraint: Member must be an integer", v)
		case n < 1:
			return nil, validationError("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1", n)
		case n > DefaultPageSize:
			return nil, validationError("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to %d", n, DefaultPageSize)
		}
		limit = n
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.lookup(domainID)
	if err != nil {
		return nil, err
	}
	var after *pageKey
	if query.Has("nextToken") {
		if after, err = decodeToken(query.Get("nextToken"), domainID); err != nil {
			return nil, err
		}
	}
	if limit == 0 || limit > s.pageSize {
		limit = s.pageSize
	}

	var all []*Project
	for _, p := range d.projects {
		if p.Unlisted {
			continue
		}
		if after == nil || after.compare(p) < 0 {
			all = append(all, p)
		}
	}
	slices.SortFunc(all, func(a, b *Project) int { return keyOf(a).compare(b) })
	out := listProjectsOutput{Items: []projectSummary{}} // items is required: [] rather than null
	for i, p := range all {
		if i == limit {
			out.NextToken = keyOf(all[i-1]).token(domainID)
			break
		}
		out.Items = append(out.Items, projectSummary{
			ID:            p.ID,
			DomainID:      p.DomainID,
			Name:          p.Name,
			Description:   p.Description,
			DomainUnitID:  p.DomainUnitID,
			ProjectStatus: p.Status,
			CreatedAt:     dateTime(p.CreatedAt),
			UpdatedAt:     dateTime(p.LastUpdatedAt),
			CreatedBy:     p.CreatedBy,
		})
	}
	return out, nil
}

// pageKey is a project's place in the ListProjects order.
type pageKey struct {
	created time.Time
	id      string
}

func keyOf(p *Project) pageKey { return pageKey{p.CreatedAt, p.ID} }

// compare orders k before p (-1) when k is newer, or as new with a smaller id.
func (k pageKey) compare(p *Project) int {
	if c := p.CreatedAt.Compare(k.created); c != 0 {
		return c
	}
	return strings.Compare(k.id, p.ID)
}

// token is an opaque nextToken for the projects after k, valid in domain only.
func (k pageKey) token(domainID string) string {
	raw := domainID + "\n" + strconv.FormatInt(k.created.UnixMilli(), 10) + "\n" + k.id
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeToken(token, domainID string) (*pageKey, *apiError) {
	invalid := validationError("Invalid nextToken %q for domain %s", token, domainID)
	if token == "" || len(token) > 8192 {
		return nil, invalid
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return nil, invalid
	}
	parts := strings.Split(string(raw), "\n")
	if len(parts) != 3 || parts[0] != domainID {
		return nil, invalid
	}
	ms, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return nil, invalid
	}
	return &pageKey{time.UnixMilli(ms).UTC(), parts[2]}, nil
}

// getDomainUnit answers GetDomainUnit for units put with PutDomainUnit.
func (s *Server) getDomainUnit(r *http.Request) (any, *apiError) {
	domainID, id := r.PathValue("domainIdentifier"), r.PathValue("identifier")
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.lookup(domainID)
	if err != nil {
		return nil, err
	}
	if !unitIDPattern.MatchString(id) {
		return nil, patternError("identifier", id, unitIDPattern)
	}
	u := d.units[id]
	if u == nil {
		return nil, notFound("Domain unit %s not found in domain %s.", id, domainID)
	}
	return getDomainUnitOutput{
		ID:        id,
		DomainID:  domainID,
		Name:      u.name,
		Owners:    []domainUnitOwner{},
		CreatedAt: epochSeconds(u.created),
	}, nil
}
