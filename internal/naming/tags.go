package naming

import "regexp"

// The tags the product puts on every repository it manages, and reads back to tell whose a
// repository is. Their keys and values are part of the contract: other tools select managed
// repositories by them.
const (
	// TagManagedBy marks a repository as the product's, with the value ManagedByValue.
	TagManagedBy   = "managed-by"
	ManagedByValue = "sagemaker-ecr-provisioner"
	// TagRepositoryType is the type part of the name (training, base-sklearn, ...).
	TagRepositoryType = "repository-type"
	// TagScope is ScopeShared or ScopeProject.
	TagScope = "scope"
	// TagTeam, TagProjectName and TagProjectID name the project that owns a project repository.
	TagTeam        = "team"
	TagProjectName = "sagemaker:project-name"
	TagProjectID   = "sagemaker:project-id"
	// TagProjectDeleted carries the RFC 3339 time the owning project was deleted.
	TagProjectDeleted = "sagemaker:project-deleted"
	// TagProjectAccount names the member account a project repository's project lives in;
	// the repositories of this account's own projects carry none.
	TagProjectAccount = "sagemaker:project-account"
	// TagDomainID and TagStudioProjectID are the identity of a SageMaker Unified Studio
	// (Amazon DataZone) project's repositories: its domain and project ids. A Unified Studio
	// project can be renamed and two can share a name; these ids say whose a repository is.
	TagDomainID        = "datazone:domain-id"
	TagStudioProjectID = "datazone:project-id"
)

// Scope says whose a repository is: the shared base images', or one project's.
type Scope string

// The two scopes, as the scope tag spells them.
const (
	ScopeShared  Scope = "shared"
	ScopeProject Scope = "project"
)

// domainID is an Amazon DataZone domain id: dzd_ or dzd- and 1 to 36 letters, digits, _ or -.
var domainID = regexp.MustCompile(`^dzd[-_][a-zA-Z0-9_-]{1,36}$`)

// IsDomainID reports whether s is an Amazon DataZone domain id (the value of TagDomainID).
func IsDomainID(s string) bool { return domainID.MatchString(s) }

// MaxDomains is how many DataZone domains can be served: the repositories of their projects are
// found by one GetResources tag filter on TagDomainID, which takes at most 20 values.
const MaxDomains = 20
