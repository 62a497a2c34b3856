// Package naming builds the names of the repositories the product manages and checks them
// against ECR's rules.
//
// Names are never repaired: a team or project that does not make a valid name is rejected, so
// two different teams can never be folded onto one repository.
package naming

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// MaxNameLength is ECR's limit on a repository name.
const MaxNameLength = 256

// partPattern is one component of an ECR repository name.
var partPattern = regexp.MustCompile(`^[a-z0-9]+(?:[._-][a-z0-9]+)*$`)

// SharedNamespaceSuffix and ProjectNamespaceInfix join the company to the rest of a name.
const (
	SharedNamespaceSuffix = "-sagemaker-shared"
	ProjectNamespaceInfix = "-sm-"
)

// ValidPart reports whether s is one valid component of an ECR repository name.
func ValidPart(s string) bool { return partPattern.MatchString(s) }

// PartError explains why a value cannot be one component of a repository name.
func PartError(what, s string) error {
	switch {
	case s == "":
		return fmt.Errorf("%s is empty", what)
	case !utf8.ValidString(s):
		return fmt.Errorf("%s %q is not valid UTF-8", what, s)
	case len(s) > MaxNameLength:
		return fmt.Errorf("%s is %d bytes long; a repository name holds at most %d", what, len(s), MaxNameLength)
	case strings.Contains(s, "/"):
		return fmt.Errorf("%s %q contains '/'; it must be one name part matching %s", what, s, partPattern)
	default:
		return fmt.Errorf("%s %q is not a valid name part: want lower-case letters and digits, separated by single '.', '_' or '-' (%s)", what, s, partPattern)
	}
}

// CheckPart returns nil when s is a valid name part, else an error that names what s is.
func CheckPart(what, s string) error {
	if ValidPart(s) {
		return nil
	}
	return PartError(what, s)
}

// SharedNamespace is the namespace of the shared base-image repositories.
func SharedNamespace(company string) string { return company + SharedNamespaceSuffix }

// Shared is the name of one shared repository.
func Shared(company, repoType string) string { return SharedNamespace(company) + "/" + repoType }

// ProjectNamespace is the namespace of one project's repositories:
// <company>-sm-<team>-<project>, team and project lower-cased. It fails, naming the problem, when
// the result is not a valid ECR name.
func ProjectNamespace(company, team, project string) (string, error) {
	t, p := Lower(team), Lower(project)
	if err := CheckPart("team", t); err != nil {
		return "", err
	}
	if err := CheckPart("project name", p); err != nil {
		return "", err
	}
	ns := company + ProjectNamespaceInfix + t + "-" + p
	// Each part can be valid while together they are too long; a namespace that is not itself
	// a valid name can never hold a valid repository, so say so here, naming both inputs.
	if len(ns) > MaxNameLength {
		return "", fmt.Errorf("team %q and project name %q make the namespace %q, %d characters long; a repository name holds at most %d",
			truncate(t), truncate(p), truncate(ns), len(ns), MaxNameLength)
	}
	return ns, nil
}

// Lower lower-cases the ASCII letters of s and leaves every other byte as it is.
//
// strings.ToLower folds some non-ASCII letters onto ASCII ones (KELVIN SIGN U+212A becomes
// 'k', LATIN CAPITAL LETTER I WITH DOT ABOVE U+0130 becomes 'i'), which would let a team
// "\u212Aey" silently share the namespace of team "key". Keeping non-ASCII as it is makes such
// a name fail validation instead.
func Lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

// StudioPart is a SageMaker Unified Studio project's name, or its domain unit's, as a part of
// a repository name: lower-cased (as Lower does), each run of spaces made one '-'. "Churn
// Model" becomes "churn-model"; what is still not a valid part ("churn/model") stays as it is,
// for the name's check to reject.
func StudioPart(s string) string {
	return Lower(strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' }), "-"))
}

// Project is the name of one project repository. It fails when the name is not valid in ECR.
func Project(company, team, project, repoType string) (string, error) {
	ns, err := ProjectNamespace(company, team, project)
	if err != nil {
		return "", err
	}
	name := ns + "/" + repoType
	if err := CheckRepository(name); err != nil {
		return "", err
	}
	return name, nil
}

// CheckRepository checks a whole repository name against ECR's rules: 2 to 256 characters,
// components separated by '/', each a valid part.
func CheckRepository(name string) error {
	if len(name) < 2 || len(name) > MaxNameLength {
		return fmt.Errorf("repository name %q is %d characters long; ECR allows 2 to %d", truncate(name), len(name), MaxNameLength)
	}
	for _, part := range strings.Split(name, "/") {
		if !ValidPart(part) {
			return fmt.Errorf("repository name %q: component %q is not valid (%s)", truncate(name), part, partPattern)
		}
	}
	return nil
}

// Managed reports whether a repository lies in one of the company's managed namespaces,
// <company>-sm-* and <company>-sagemaker-shared/*. Nothing else is ever written.
func Managed(company, name string) bool {
	return strings.HasPrefix(name, company+ProjectNamespaceInfix) ||
		strings.HasPrefix(name, SharedNamespace(company)+"/")
}

// Namespace returns the part of a repository name before its last '/', and the type after it.
func Namespace(name string) (namespace, repoType string) {
	i := strings.LastIndexByte(name, '/')
	if i < 0 {
		return "", name
	}
	return name[:i], name[i+1:]
}

func truncate(s string) string {
	const limit = 80
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "..."
}
