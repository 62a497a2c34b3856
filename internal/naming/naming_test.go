package naming

import (
	"strings"
	"testing"
)

const company = "acme"

func TestProjectNamespace(t *testing.T) {
	tests := []struct {
		name, team, project string
		want                string
	}{
		{"design sample", "data-science", "Churn-Model", "acme-sm-data-science-churn-model"},
		{"upper case team lower-cased", "DATA-Science", "churn", "acme-sm-data-science-churn"},
		{"dots and underscores kept", "data_sci.ence", "churn", "acme-sm-data_sci.ence-churn"},
		{"digits only", "42", "7", "acme-sm-42-7"},
		{"longest namespace that fits", strings.Repeat("t", 100), strings.Repeat("p", MaxNameLength-len("acme-sm--")-100),
			"acme-sm-" + strings.Repeat("t", 100) + "-" + strings.Repeat("p", MaxNameLength-len("acme-sm--")-100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ProjectNamespace(company, tt.team, tt.project)
			if err != nil {
				t.Fatalf("ProjectNamespace(%q, %q, %q) failed: %v", company, tt.team, tt.project, err)
			}
			if got != tt.want {
				t.Errorf("ProjectNamespace(%q, %q, %q) = %q; want %q", company, tt.team, tt.project, got, tt.want)
			}
		})
	}
}

func TestProject(t *testing.T) {
	got, err := Project(company, "data-science", "Churn-Model", "training")
	if err != nil {
		t.Fatalf("Project failed: %v", err)
	}
	if want := "acme-sm-data-science-churn-model/training"; got != want {
		t.Errorf("got %q; want %q", got, want)
	}
}

// TestProjectRejects checks that every team or project that does not make a valid ECR name is
// rejected, never repaired, and that the error says which input is wrong and why.
func TestProjectRejects(t *testing.T) {
	long := strings.Repeat("a", 300)
	tests := []struct {
		name, team, project string
		// wantErr are substrings the error must contain: what is wrong and why.
		wantErr []string
	}{
		{"empty team", "", "churn", []string{"team", "empty"}},
		{"empty project", "data", "", []string{"project name", "empty"}},
		{"slash in team", "data/science", "churn", []string{"team", "'/'"}},
		{"dot-dot team", "..", "churn", []string{"team", `".."`, "not a valid name part"}},
		{"dot-dot inside team", "data..science", "churn", []string{"team", "not a valid name part"}},
		{"path traversal team", "../other", "churn", []string{"team", "'/'"}},
		{"space in team", "data science", "churn", []string{"team", `"data science"`, "not a valid name part"}},
		{"leading dash", "-data", "churn", []string{"team", "not a valid name part"}},
		{"trailing dash", "data-", "churn", []string{"team", "not a valid name part"}},
		{"double dash", "data--science", "churn", []string{"team", "not a valid name part"}},
		{"accented letter", "café", "churn", []string{"team", "café", "not a valid name part"}},
		{"fi ligature", "proﬁt", "churn", []string{"team", "not a valid name part"}},
		{"cyrillic look-alike", "dаta", "churn", []string{"team", "not a valid name part"}}, // U+0430
		{"cyrillic upper look-alike", "DАTA", "churn", []string{"team", "not a valid name part"}},
		// strings.ToLower would turn these into ASCII and so into another team's namespace.
		{"kelvin sign", "\u212Aey", "churn", []string{"team", "not a valid name part"}},
		{"dotted capital I", "\u0130nfra", "churn", []string{"team", "not a valid name part"}},
		{"NUL byte", "data\x00", "churn", []string{"team", `\x00`, "not a valid name part"}},
		{"newline", "data\n", "churn", []string{"team", `\n`, "not a valid name part"}},
		{"newline between", "data\nscience", "churn", []string{"team", "not a valid name part"}},
		{"invalid UTF-8", "data\xff", "churn", []string{"team", "not valid UTF-8"}},
		{"300-character team", long, "churn", []string{"team", "314 characters", "at most 256"}},
		{"300-character project", "data", long, []string{"project name", "313 characters", "at most 256"}},
		{"300-character invalid team", long + " x", "churn", []string{"team", "302 bytes", "at most 256"}},
		{"combined name over 256", strings.Repeat("t", 128), strings.Repeat("p", 128), []string{"team", "project name", "265 characters", "at most 256"}},
		{"project with underscore start", "data", "_churn", []string{"project name", "not a valid name part"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns, err := ProjectNamespace(company, tt.team, tt.project)
			if err == nil {
				t.Fatalf("ProjectNamespace(%q, %q) = %q; want an error", tt.team, tt.project, ns)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if name, err := Project(company, tt.team, tt.project, "training"); err == nil {
				t.Errorf("Project(%q, %q) = %q; want an error", tt.team, tt.project, name)
			}
		})
	}
}

// TestProjectNameTooLong covers a namespace that fits while the repository name, with its type,
// does not.
func TestProjectNameTooLong(t *testing.T) {
	team := strings.Repeat("t", 100)
	project := strings.Repeat("p", MaxNameLength-len("acme-sm--")-100) // namespace of exactly 256
	if _, err := ProjectNamespace(company, team, project); err != nil {
		t.Fatalf("ProjectNamespace: %v", err)
	}
	_, err := Project(company, team, project, "training")
	if err == nil {
		t.Fatal("Project succeeded; want an error for a 265-character name")
	}
	if !strings.Contains(err.Error(), "265 characters") {
		t.Errorf("error %q does not give the length", err)
	}
}

func TestLower(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Churn-Model", "churn-model"},
		{"ABCXYZ09._-", "abcxyz09._-"},
		{"Café", "café"},
		{"\u212A", "\u212A"},
		{"\u0130", "\u0130"},
		{"\xff", "\xff"},
	}
	for _, tt := range tests {
		if got := Lower(tt.in); got != tt.want {
			t.Errorf("Lower(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// TestNoSharedNamespace checks that distinct (team, project) pairs get distinct namespaces,
// except where the seed's scheme itself collides: team+"-"+project is the same string.
func TestNoSharedNamespace(t *testing.T) {
	teams := []string{"data", "data-science", "Data", "data.science", "data_science", "datascience",
		"science", "a", "a-b", "a.b", "\u212Aey", "key", "ml", "ml-ops"}
	projects := []string{"churn", "science-churn", "Churn", "b", "b-c", "ops", "ops-x", "key"}
	seen := map[string][2]string{}
	for _, team := range teams {
		for _, project := range projects {
			ns, err := ProjectNamespace(company, team, project)
			if err != nil {
				continue
			}
			if prev, ok := seen[ns]; ok {
				// The only collisions the contract allows: the same team (ASCII letters compared
				// without case, as the contract lower-cases), or the seed's split of one
				// '-'-joined string at a different '-'.
				sameTeam := isASCII(prev[0]) && isASCII(team) && strings.EqualFold(prev[0], team)
				a, b := strings.ToLower(prev[0]), strings.ToLower(team)
				seedCollision := strings.HasPrefix(a, b+"-") || strings.HasPrefix(b, a+"-")
				if !sameTeam && !seedCollision {
					t.Errorf("team %q project %q and team %q project %q share namespace %q", prev[0], prev[1], team, project, ns)
				}
				continue
			}
			seen[ns] = [2]string{team, project}
		}
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// TestSeedCollision documents the collision the seed's naming scheme cannot avoid. Names alone
// cannot tell these projects apart; the reconciler does, by the team and
// sagemaker:project-name tags on the existing repository, and reports a conflict.
func TestSeedCollision(t *testing.T) {
	a, errA := ProjectNamespace(company, "data", "science-churn")
	b, errB := ProjectNamespace(company, "data-science", "churn")
	if errA != nil || errB != nil {
		t.Fatalf("errors: %v, %v", errA, errB)
	}
	if a != b {
		t.Errorf("got %q and %q; want the known collision on one namespace", a, b)
	}
}

func TestManaged(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"acme-sm-x/y", true},
		{"acme-sm-data-science-churn-model/training", true},
		{"acme-sagemaker-shared/base", true},
		{"acme-sagemaker-shared/base-sklearn", true},
		{"acme-smx/y", false},
		{"other-sm-a/b", false},
		{"acme-sagemaker-shared", false},
		{"acme-sagemaker-sharedx/y", false},
		{"xacme-sm-a/b", false},
		{"acme/sm-a", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Managed(company, tt.name); got != tt.want {
				t.Errorf("Managed(%q, %q) = %v; want %v", company, tt.name, got, tt.want)
			}
		})
	}
}

func TestShared(t *testing.T) {
	if got, want := Shared(company, "base-sklearn"), "acme-sagemaker-shared/base-sklearn"; got != want {
		t.Errorf("got %q; want %q", got, want)
	}
	if !Managed(company, Shared(company, "base-sklearn")) {
		t.Error("a shared repository is not managed")
	}
}

func TestCheckRepository(t *testing.T) {
	tests := []struct {
		name    string
		repo    string
		wantErr string // "" means valid
	}{
		{"length 1", "a", "1 characters long"},
		{"length 2", "ab", ""},
		{"length 256", strings.Repeat("a", 256), ""},
		{"length 256 with a slash", strings.Repeat("a", 127) + "/" + strings.Repeat("b", 128), ""},
		{"length 257", strings.Repeat("a", 257), "257 characters long"},
		{"empty", "", "0 characters long"},
		{"nested", "acme-sm-x/y/z", ""},
		{"empty component", "acme//y", `component ""`},
		{"leading slash", "/acme", `component ""`},
		{"trailing slash", "acme/", `component ""`},
		{"upper case", "Acme/y", `component "Acme"`},
		{"double separator", "ac__me/y", `component "ac__me"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckRepository(tt.repo)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("CheckRepository: %v; want nil", err)
			case tt.wantErr != "" && err == nil:
				t.Errorf("CheckRepository(%q) = nil; want an error containing %q", tt.repo, tt.wantErr)
			case err != nil && !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("got %q; want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestNamespace(t *testing.T) {
	tests := []struct{ in, ns, typ string }{
		{"acme-sm-x/training", "acme-sm-x", "training"},
		{"a/b/c", "a/b", "c"},
		{"plain", "", "plain"},
	}
	for _, tt := range tests {
		ns, typ := Namespace(tt.in)
		if ns != tt.ns || typ != tt.typ {
			t.Errorf("Namespace(%q) = %q, %q; want %q, %q", tt.in, ns, typ, tt.ns, tt.typ)
		}
	}
}

func FuzzProjectNamespace(f *testing.F) {
	for _, s := range [][2]string{
		{"data-science", "Churn-Model"},
		{"", "x"},
		{"a/b", "c"},
		{"..", "x"},
		{"café", "ﬁ"},
		{"\u212Aey", "\u0130"},
		{"d\x00", "p\n"},
		{strings.Repeat("t", 128), strings.Repeat("p", 128)},
		{"\xff", "A"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, team, project string) {
		ns, err := ProjectNamespace(company, team, project)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error text")
			}
			return
		}
		if err := CheckRepository(ns); err != nil {
			t.Errorf("ProjectNamespace(%q, %q) = %q, which fails CheckRepository: %v", team, project, ns, err)
		}
		if ns != strings.ToLower(ns) {
			t.Errorf("ProjectNamespace(%q, %q) = %q; not lower case", team, project, ns)
		}
		if !strings.HasPrefix(ns, company+ProjectNamespaceInfix) {
			t.Errorf("ProjectNamespace(%q, %q) = %q; want prefix %q", team, project, ns, company+ProjectNamespaceInfix)
		}
		if strings.Contains(ns, "/") {
			t.Errorf("ProjectNamespace(%q, %q) = %q; contains '/'", team, project, ns)
		}
		// No mangling: the namespace spells the inputs, lower-cased.
		if want := company + ProjectNamespaceInfix + strings.ToLower(team) + "-" + strings.ToLower(project); ns != want {
			t.Errorf("ProjectNamespace(%q, %q) = %q; want %q", team, project, ns, want)
		}
	})
}

func TestStudioPart(t *testing.T) {
	for in, want := range map[string]string{
		"Churn Model":       "churn-model",
		"  Churn   Model  ": "churn-model",
		"churn_model-v2":    "churn_model-v2",
		"Churn/Model":       "churn/model", // not made valid: the name's check rejects it
		"Data\tScience":     "data\tscience",
	} {
		if got := StudioPart(in); got != want {
			t.Errorf("StudioPart(%q) = %q; want %q", in, got, want)
		}
	}
}
