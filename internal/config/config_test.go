package config_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
)

const path = config.DefaultPath

// params turns relative parameter names into the full SSM names Parse reads.
func params(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[path+"/"+kv[i]] = kv[i+1]
	}
	return m
}

func TestParseDefaults(t *testing.T) {
	got, err := config.Parse(path, params("company", "acme"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	// Every default of the configuration table (docs/configuration.md).
	want := config.Config{
		Path:               path,
		Enabled:            true,
		Company:            "acme",
		SharedRepos:        []string{"base-sklearn", "base-pytorch", "base-xgboost"},
		ProjectRepos:       []string{"preprocessing", "training", "inference"},
		CreateProjectRepos: true,
		ImageRetention:     10,
		TeamTag:            "team",
		AllowedTeams:       nil,
		ScanOnPush:         true,
		TagMutability:      "MUTABLE",
		KMSKey:             "",
		DriftMode:          config.ModeFix,
		LifecycleExempt:    nil,
		OnProjectDelete:    config.OnDeleteRetain,
		MemberAccounts:     nil,
		MemberRoleName:     "sagemaker-ecr-provisioner-member",
		Overrides:          map[string]int{},
		Unknown:            nil,
	}
	// An empty list and a nil list mean the same; callers only range over them.
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Parse defaults (-want +got):\n%s", diff)
	}
}

func TestParseAllSet(t *testing.T) {
	values := params(
		"enabled", "false",
		"company", "acme.corp_1",
		"shared-repos", "base-a  base-b\n",
		"project-repos", "train serve",
		"create-project-repos", "false",
		"image-retention", " 25 ",
		"team-tag", "Team",
		"allowed-teams", "data-science risk",
		"scan-on-push", "false",
		"tag-mutability", "IMMUTABLE_WITH_EXCLUSION",
		"tag-mutability-exclusions", "latest dev-*",
		"pull-accounts", "222233334444 111122223333 222233334444",
		"pull-org-id", "o-a1b2c3d4e5",
		"untagged-expiry-days", "14",
		"protected-tag-patterns", "prod-* release-*-final",
		"check-tags", "true",
		"protect-in-use", "true",
		"kms-key", "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		"drift-mode", "report",
		"lifecycle-exempt", "acme.corp_1-sm-legacy/* acme.corp_1-sagemaker-shared/base-a",
		"on-project-delete", "delete-if-empty",
		"member-accounts", "444455556666 222233334444 444455556666",
		"member-role-name", "ecr-reader@org",
		"datazone-domains", "dzd_4p9n6sw4qt9xgn dzd-b1 dzd_4p9n6sw4qt9xgn",
		"datazone-team-tag", "cost-team",
		"overrides/acme.corp_1-sm-data-churn/image-retention", "50",
		"overrides/acme.corp_1-sm-data-churn/training/image-retention", "100",
		"overrides/acme.corp_1-sagemaker-shared/image-retention", "3",
		"overrides/acme.corp_1-sm-data-churn/pull-accounts", "333344445555",
	)
	got, err := config.Parse(path+"/", values) // a trailing slash on the path is tolerated
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := config.Config{
		Path:                    path,
		Enabled:                 false,
		Company:                 "acme.corp_1",
		SharedRepos:             []string{"base-a", "base-b"},
		ProjectRepos:            []string{"train", "serve"},
		CreateProjectRepos:      false,
		ImageRetention:          25,
		TeamTag:                 "Team",
		AllowedTeams:            []string{"data-science", "risk"},
		ScanOnPush:              false,
		TagMutability:           "IMMUTABLE_WITH_EXCLUSION",
		TagMutabilityExclusions: []string{"dev-*", "latest"},
		PullAccounts:            []string{"111122223333", "222233334444"},
		PullOrgID:               "o-a1b2c3d4e5",
		NamespacePull:           map[string][]string{"acme.corp_1-sm-data-churn": {"333344445555"}},
		UntaggedExpiryDays:      14,
		ProtectedTagPatterns:    []string{"prod-*", "release-*-final"},
		CheckTags:               true,
		ProtectInUse:            true,
		KMSKey:                  "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		DriftMode:               config.ModeReport,
		LifecycleExempt:         []string{"acme.corp_1-sm-legacy/*", "acme.corp_1-sagemaker-shared/base-a"},
		OnProjectDelete:         config.OnDeleteDeleteIfEmpty,
		MemberAccounts:          []string{"222233334444", "444455556666"},
		MemberRoleName:          "ecr-reader@org",
		DataZoneDomains:         []string{"dzd-b1", "dzd_4p9n6sw4qt9xgn"},
		DataZoneTeamTag:         "cost-team",
		Overrides: map[string]int{
			"acme.corp_1-sm-data-churn":          50,
			"acme.corp_1-sm-data-churn/training": 100,
			"acme.corp_1-sagemaker-shared":       3,
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
}

func TestParseValidAlternatives(t *testing.T) {
	tests := []struct {
		name, param, value string
		check              func(config.Config) bool
	}{
		{"shared-repos none", "shared-repos", "none", func(c config.Config) bool { return len(c.SharedRepos) == 0 }},
		{"retention 1", "image-retention", "1", func(c config.Config) bool { return c.ImageRetention == 1 }},
		{"retention 10000", "image-retention", "10000", func(c config.Config) bool { return c.ImageRetention == 10000 }},
		{"kms alias", "kms-key", "alias/ecr", func(c config.Config) bool { return c.KMSKey == "alias/ecr" }},
		{"kms alias arn", "kms-key", "arn:aws:kms:us-east-1:123456789012:alias/ecr", func(c config.Config) bool { return c.KMSKey != "" }},
		{"kms key id", "kms-key", "1234abcd-12ab-34cd-56ef-1234567890ab", func(c config.Config) bool { return c.KMSKey != "" }},
		{"enabled true", "enabled", "true", func(c config.Config) bool { return c.Enabled }},
		{"untagged expiry 3650", "untagged-expiry-days", "3650", func(c config.Config) bool { return c.UntaggedExpiryDays == 3650 }},
		{"pattern with 4 stars", "protected-tag-patterns", "*a*b*c*", func(c config.Config) bool { return len(c.ProtectedTagPatterns) == 1 }},
		{"48 protected patterns", "protected-tag-patterns", patterns(48), func(c config.Config) bool { return len(c.ProtectedTagPatterns) == 48 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Parse(path, params("company", "acme", tt.param, tt.value))
			if err != nil {
				t.Fatalf("Parse %s=%q: %v", tt.param, tt.value, err)
			}
			if !tt.check(c) {
				t.Errorf("Parse %s=%q gave %+v", tt.param, tt.value, c)
			}
		})
	}
}

// patterns is n distinct protected tag patterns.
func patterns(n int) string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("keep-%d-*", i))
	}
	return strings.Join(out, " ")
}

func TestParseInvalid(t *testing.T) {
	const retentionRange = "an integer from 1 to 10000"
	tests := []struct {
		name  string
		kv    []string // relative name, value; company=acme is added unless kv sets it
		param string   // relative name of the parameter the error must name
		value string   // the value the error must name
		valid string   // a substring of what is valid
	}{
		{"retention 0", []string{"image-retention", "0"}, "image-retention", "0", retentionRange},
		{"retention -1", []string{"image-retention", "-1"}, "image-retention", "-1", retentionRange},
		{"retention abc", []string{"image-retention", "abc"}, "image-retention", "abc", retentionRange},
		{"retention 10001", []string{"image-retention", "10001"}, "image-retention", "10001", retentionRange},
		{"retention 1.5", []string{"image-retention", "1.5"}, "image-retention", "1.5", retentionRange},
		{"retention blank", []string{"image-retention", " "}, "image-retention", " ", retentionRange},
		{"retention +5", []string{"image-retention", "+5"}, "image-retention", "+5", retentionRange},
		{"retention huge", []string{"image-retention", "99999999999999999999999"}, "image-retention", "99999999999999999999999", retentionRange},
		{"company missing", []string{"enabled", "true"}, "company", "", "required"},
		{"company upper case", []string{"company", "Acme"}, "company", "Acme", "lower-case"},
		{"company with slash", []string{"company", "ac/me"}, "company", "ac/me", "one ECR name part"},
		{"enabled yes", []string{"enabled", "yes"}, "enabled", "yes", "true or false"},
		{"scan-on-push 1", []string{"scan-on-push", "1"}, "scan-on-push", "1", "true or false"},
		{"create-project-repos True", []string{"create-project-repos", "True"}, "create-project-repos", "True", "true or false"},
		{"tag-mutability mutable", []string{"tag-mutability", "mutable"}, "tag-mutability", "mutable", "MUTABLE, IMMUTABLE"},
		{"exclusions without an exclusion mode", []string{"tag-mutability", "IMMUTABLE", "tag-mutability-exclusions", "latest"},
			"tag-mutability-exclusions", "latest", "only with tag-mutability MUTABLE_WITH_EXCLUSION or IMMUTABLE_WITH_EXCLUSION (it is IMMUTABLE)"},
		{"exclusions with the default mode", []string{"tag-mutability-exclusions", "latest"},
			"tag-mutability-exclusions", "latest", "(it is MUTABLE)"},
		{"exclusion mode without exclusions", []string{"tag-mutability", "IMMUTABLE_WITH_EXCLUSION"},
			"tag-mutability", "IMMUTABLE_WITH_EXCLUSION", "1 to 5 wildcard filters in tag-mutability-exclusions"},
		{"six exclusions", []string{"tag-mutability", "MUTABLE_WITH_EXCLUSION", "tag-mutability-exclusions", "a b c d e f"},
			"tag-mutability-exclusions", "a b c d e f", "1 to 5 space-separated wildcard filters (ECR's limit); there are 6"},
		{"exclusion with a slash", []string{"tag-mutability", "MUTABLE_WITH_EXCLUSION", "tag-mutability-exclusions", "release/1"},
			"tag-mutability-exclusions", "release/1", `("release/1" is not)`},
		{"pull account of 11 digits", []string{"pull-accounts", "22223333444"}, "pull-accounts", "22223333444", `12-digit AWS account ids ("22223333444" is not 12 digits)`},
		{"pull account with letters", []string{"pull-accounts", "111122223333 2222333344ab"}, "pull-accounts", "111122223333 2222333344ab", `"2222333344ab" is not 12 digits`},
		{"pull-org-id without o-", []string{"pull-org-id", "a1b2c3d4e5"}, "pull-org-id", "a1b2c3d4e5", "o- and 10 to 32 lower-case letters or digits"},
		{"pull-org-id too short", []string{"pull-org-id", "o-abc"}, "pull-org-id", "o-abc", "AWS Organizations id"},
		{"pull-org-id upper case", []string{"pull-org-id", "o-A1B2C3D4E5"}, "pull-org-id", "o-A1B2C3D4E5", "lower-case"},
		{"namespace pull account of 13 digits", []string{"overrides/acme-sm-x/pull-accounts", "1111222233334"},
			"overrides/acme-sm-x/pull-accounts", "1111222233334", "12-digit"},
		{"pull override for a type", []string{"overrides/acme-sm-x/training/pull-accounts", "111122223333"},
			"overrides/acme-sm-x/training/pull-accounts", "111122223333", "overrides/<namespace>/pull-accounts"},
		{"pull override for another company", []string{"overrides/other-sm-x/pull-accounts", "111122223333"},
			"overrides/other-sm-x/pull-accounts", "111122223333", "managed namespace"},
		{"untagged expiry 0", []string{"untagged-expiry-days", "0"}, "untagged-expiry-days", "0", "an integer from 1 to 3650"},
		{"untagged expiry abc", []string{"untagged-expiry-days", "abc"}, "untagged-expiry-days", "abc", "an integer from 1 to 3650"},
		{"untagged expiry 3651", []string{"untagged-expiry-days", "3651"}, "untagged-expiry-days", "3651", "an integer from 1 to 3650"},
		{"pattern with 5 stars", []string{"protected-tag-patterns", "prod *a*b*c*d*"}, "protected-tag-patterns", "prod *a*b*c*d*", `tag pattern "*a*b*c*d*" has 5 '*'; ECR allows at most 4`},
		{"pattern twice", []string{"protected-tag-patterns", "prod prod"}, "protected-tag-patterns", "prod prod", `tag pattern "prod" comes twice`},
		{"pattern with a slash", []string{"protected-tag-patterns", "prod/1"}, "protected-tag-patterns", "prod/1", "letters, digits"},
		{"check-tags yes", []string{"check-tags", "yes"}, "check-tags", "yes", "true or false"},
		// 49 protecting rules and the keep rule: 50 rules, and with untagged expiry 51.
		{"too many patterns", []string{"protected-tag-patterns", patterns(49), "untagged-expiry-days", "7"},
			"protected-tag-patterns", patterns(49), "the policy would have 51 rules; ECR allows at most 50"},
		{"drift-mode fixit", []string{"drift-mode", "fixit"}, "drift-mode", "fixit", "fix, report"},
		{"on-project-delete delete", []string{"on-project-delete", "delete"}, "on-project-delete", "delete", "retain, delete-if-empty"},
		{"shared-repos empty", []string{"shared-repos", ""}, "shared-repos", "", "or none"},
		{"shared-repos Base", []string{"shared-repos", "Base"}, "shared-repos", "Base", "ECR name parts"},
		{"shared-repos duplicate", []string{"shared-repos", "a a"}, "shared-repos", "a a", "each once"},
		{"shared-repos none in a list", []string{"shared-repos", "base none"}, "shared-repos", "base none", "none alone"},
		{"project-repos none", []string{"project-repos", "none"}, "project-repos", "none", "create-project-repos"},
		{"project-repos with none", []string{"project-repos", "training none"}, "project-repos", "training none", "create-project-repos"},
		{"project-repos empty", []string{"project-repos", " "}, "project-repos", " ", "ECR name parts"},
		{"lifecycle-exempt bad glob", []string{"lifecycle-exempt", "["}, "lifecycle-exempt", "[", "path.Match"},
		{"kms-key foo", []string{"kms-key", "foo"}, "kms-key", "foo", "KMS key"},
		{"allowed-teams upper case", []string{"allowed-teams", "Data"}, "allowed-teams", "Data", "lower-case"},
		{"team-tag aws:", []string{"team-tag", "aws:team"}, "team-tag", "aws:team", "not starting with aws:"},
		{"team-tag blank", []string{"team-tag", " "}, "team-tag", " ", "1 to 128"},
		{"override for unmanaged namespace", []string{"overrides/other-repos/image-retention", "5"},
			"overrides/other-repos/image-retention", "5", "managed namespace"},
		{"override for another company", []string{"overrides/other-sm-x/image-retention", "5"},
			"overrides/other-sm-x/image-retention", "5", "managed namespace"},
		{"override with a bad number", []string{"overrides/acme-sm-x/image-retention", "ten"},
			"overrides/acme-sm-x/image-retention", "ten", retentionRange},
		{"override of 0", []string{"overrides/acme-sm-x/training/image-retention", "0"},
			"overrides/acme-sm-x/training/image-retention", "0", retentionRange},
		{"override misspelt", []string{"overrides/acme-sm-x/image-retension", "5"},
			"overrides/acme-sm-x/image-retension", "5", "overrides/<namespace>/image-retention"},
		{"override too deep", []string{"overrides/acme-sm-x/a/b/image-retention", "5"},
			"overrides/acme-sm-x/a/b/image-retention", "5", "overrides/<namespace>/<type>/image-retention"},
		{"override invalid namespace", []string{"overrides/acme-sm-X/image-retention", "5"},
			"overrides/acme-sm-X/image-retention", "5", "managed namespace"},
		{"member-accounts not 12 digits", []string{"member-accounts", "222233334444 2222"}, "member-accounts", "222233334444 2222", `"2222" is not 12 digits`},
		{"member-accounts an ARN", []string{"member-accounts", "arn:aws:iam::222233334444:root"}, "member-accounts", "arn:aws:iam::222233334444:root", "12-digit"},
		{"member-role-name with a path", []string{"member-role-name", "ops/reader"}, "member-role-name", "ops/reader", "no path"},
		{"datazone-domains not a domain id", []string{"datazone-domains", "dzd_ok domain-1"}, "datazone-domains", "dzd_ok domain-1", `"domain-1" is not one`},
		{"datazone-domains id too long", []string{"datazone-domains", "dzd_" + strings.Repeat("a", 37)}, "datazone-domains", "dzd_" + strings.Repeat("a", 37), "1 to 36"},
		{"datazone-domains more than 20", []string{"datazone-domains", manyDomains(21)}, "datazone-domains", manyDomains(21), "at most 20"},
		{"datazone-team-tag aws:", []string{"datazone-team-tag", "aws:team"}, "datazone-team-tag", "aws:team", "or empty"},
		{"member-role-name too long", []string{"member-role-name", strings.Repeat("r", 65)}, "member-role-name", strings.Repeat("r", 65), "1 to 64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values := params(tt.kv...)
			if _, ok := values[path+"/company"]; !ok && tt.param != "company" {
				values[path+"/company"] = "acme"
			}
			c, err := config.Parse(path, values)
			if err == nil {
				t.Fatalf("Parse succeeded with %+v; want an error", c)
			}
			if diff := cmp.Diff(config.Config{}, c); diff != "" {
				t.Errorf("Parse returned a config with its error (-want +got):\n%s", diff)
			}
			invalid := config.Invalid(err)
			if len(invalid) != 1 {
				t.Fatalf("got %d InvalidErrors (%v); want 1", len(invalid), err)
			}
			e := invalid[0]
			if want := path + "/" + tt.param; e.Parameter != want {
				t.Errorf("Parameter = %q; want %q", e.Parameter, want)
			}
			if e.Value != tt.value {
				t.Errorf("Value = %q; want %q", e.Value, tt.value)
			}
			if !strings.Contains(e.Valid, tt.valid) {
				t.Errorf("Valid = %q; want it to contain %q", e.Valid, tt.valid)
			}
			// The text an operator reads names all three.
			for _, want := range []string{path + "/" + tt.param, strconv.Quote(tt.value), tt.valid} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	_, err := config.Parse(path, params(
		"company", "Acme",
		"image-retention", "0",
		"enabled", "yes",
		"drift-mode", "fixit",
		"kms-key", "foo",
	))
	var got []string
	for _, e := range config.Invalid(err) {
		got = append(got, strings.TrimPrefix(e.Parameter, path+"/"))
	}
	want := []string{"enabled", "company", "image-retention", "kms-key", "drift-mode"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("invalid parameters (-want +got):\n%s", diff)
	}
}

func TestParseUnknown(t *testing.T) {
	values := params("company", "acme", "image-retension", "5", "Company", "x", "nested/deeper")
	values[path+"/nested/deeper"] = "1"
	c, err := config.Parse(path, values)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := []string{path + "/Company", path + "/image-retension", path + "/nested/deeper"}
	if diff := cmp.Diff(want, c.Unknown); diff != "" {
		t.Errorf("Unknown (-want +got):\n%s", diff)
	}
	if c.ImageRetention != 10 {
		t.Errorf("ImageRetention = %d; want the default 10, a typo must not set it", c.ImageRetention)
	}
}

func TestInvalid(t *testing.T) {
	a := &config.InvalidError{Parameter: "a"}
	b := &config.InvalidError{Parameter: "b"}
	tests := []struct {
		name string
		err  error
		want []*config.InvalidError
	}{
		{"nil", nil, nil},
		{"other", errors.New("x"), nil},
		{"one", a, []*config.InvalidError{a}},
		{"wrapped", fmt.Errorf("load: %w", a), []*config.InvalidError{a}},
		{"joined and wrapped", fmt.Errorf("load: %w", errors.Join(a, errors.New("x"), fmt.Errorf("w: %w", b))), []*config.InvalidError{a, b}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := config.Invalid(tt.err)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Invalid (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRetention(t *testing.T) {
	c, err := config.Parse(path, params(
		"company", "acme",
		"image-retention", "10",
		"overrides/acme-sm-data-churn/image-retention", "20",
		"overrides/acme-sm-data-churn/training/image-retention", "30",
		"overrides/acme-sagemaker-shared/base-pytorch/image-retention", "40",
	))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	tests := []struct {
		repo string
		want int
	}{
		{"acme-sm-data-churn/training", 30},
		{"acme-sm-data-churn/inference", 20},
		{"acme-sm-data-churn/preprocessing", 20},
		{"acme-sm-data-churnx/training", 10},
		{"acme-sm-data/training", 10},
		{"acme-sagemaker-shared/base-pytorch", 40},
		{"acme-sagemaker-shared/base-sklearn", 10},
	}
	for _, tt := range tests {
		t.Run(tt.repo, func(t *testing.T) {
			if got := c.Retention(tt.repo); got != tt.want {
				t.Errorf("Retention(%q) = %d; want %d", tt.repo, got, tt.want)
			}
		})
	}
}

func TestExempt(t *testing.T) {
	c, err := config.Parse(path, params(
		"company", "acme",
		"lifecycle-exempt", "acme-sagemaker-shared/base-pytorch acme-sm-legacy-*/* acme-sm-x/train?",
	))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	tests := []struct {
		repo string
		want bool
	}{
		{"acme-sagemaker-shared/base-pytorch", true},
		{"acme-sagemaker-shared/base-sklearn", false},
		{"acme-sm-legacy-a/training", true},
		{"acme-sm-legacy/training", false},
		{"acme-sm-x/trains", true},
		{"acme-sm-x/training", false},
		// path.Match's '*' does not cross '/'.
		{"acme-sm-legacy-a/training/extra", false},
	}
	for _, tt := range tests {
		t.Run(tt.repo, func(t *testing.T) {
			if got := c.Exempt(tt.repo); got != tt.want {
				t.Errorf("Exempt(%q) = %v; want %v", tt.repo, got, tt.want)
			}
		})
	}
}

func TestTeamAllowed(t *testing.T) {
	tests := []struct {
		allowed string // "" leaves allowed-teams unset
		team    string
		want    bool
	}{
		{"", "anyone", true},
		{"data-science risk", "risk", true},
		{"data-science risk", "data-science", true},
		{"data-science risk", "data", false},
		{"data-science risk", "", false},
		{"data-science risk", "risky", false},
	}
	for _, tt := range tests {
		t.Run(tt.allowed+"/"+tt.team, func(t *testing.T) {
			kv := []string{"company", "acme"}
			if tt.allowed != "" {
				kv = append(kv, "allowed-teams", tt.allowed)
			}
			c, err := config.Parse(path, params(kv...))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := c.TeamAllowed(tt.team); got != tt.want {
				t.Errorf("TeamAllowed(%q) with allowed-teams %q = %v; want %v", tt.team, tt.allowed, got, tt.want)
			}
		})
	}
}

func TestManaged(t *testing.T) {
	c := config.Config{Company: "acme"}
	if !c.Managed("acme-sm-x/y") || c.Managed("other-sm-x/y") {
		t.Error("Managed does not follow the company's namespaces")
	}
}

// TestKnown holds Known to the configuration table of docs/configuration.md: a parameter the product reads and
// the configuration table does not document, or the other way round, fails.
func TestKnown(t *testing.T) {
	got := config.Known()
	readme, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, _ := strings.Cut(string(readme), "\n## Configuration\n")
	table, _, _ = strings.Cut(table, "\n## ")
	var documented []string
	for _, line := range strings.Split(table, "\n") {
		if name, ok := strings.CutPrefix(line, "| `"); ok {
			name, _, _ = strings.Cut(name, "`")
			if !strings.HasPrefix(name, "overrides/") {
				documented = append(documented, name)
			}
		}
	}
	sort.Strings(documented)
	if diff := cmp.Diff(documented, got); diff != "" {
		t.Errorf("Known() against the configuration table of docs/configuration.md (-documented +Known):\n%s", diff)
	}
	for i := 1; i < len(got); i++ {
		if got[i-1] >= got[i] {
			t.Errorf("Known() not sorted: %q before %q", got[i-1], got[i])
		}
	}
}

// fakeSSM is an in-memory Parameter Store that pages as the real one may: pageSizes[i]
// parameters on page i, even zero, with a NextToken until every parameter is served.
type fakeSSM struct {
	params    []ssmtypes.Parameter
	pageSizes []int
	err       error
	calls     int
	paths     []string
}

func (f *fakeSSM) GetParametersByPath(_ context.Context, in *ssm.GetParametersByPathInput, _ ...func(*ssm.Options)) (*ssm.GetParametersByPathOutput, error) {
	f.calls++
	f.paths = append(f.paths, aws.ToString(in.Path))
	if f.err != nil {
		return nil, f.err
	}
	if !aws.ToBool(in.Recursive) {
		return nil, errors.New("fake: want a recursive read, overrides are nested")
	}
	page, start := 0, 0
	if in.NextToken != nil {
		var err error
		if _, err = fmt.Sscanf(*in.NextToken, "page-%d-at-%d", &page, &start); err != nil {
			return nil, fmt.Errorf("fake: bad token %q", *in.NextToken)
		}
	}
	size := 10
	if page < len(f.pageSizes) {
		size = f.pageSizes[page]
	}
	end := min(start+size, len(f.params))
	out := &ssm.GetParametersByPathOutput{Parameters: f.params[start:end]}
	if end < len(f.params) {
		out.NextToken = aws.String(fmt.Sprintf("page-%d-at-%d", page+1, end))
	}
	return out, nil
}

func stringParam(rel, value string) ssmtypes.Parameter {
	return ssmtypes.Parameter{Name: aws.String(path + "/" + rel), Value: aws.String(value), Type: ssmtypes.ParameterTypeString}
}

// twentyThree returns 23 valid parameters: the 14 named ones and 9 overrides.
func twentyThree() []ssmtypes.Parameter {
	ps := []ssmtypes.Parameter{
		stringParam("enabled", "true"),
		stringParam("company", "acme"),
		stringParam("shared-repos", "base-sklearn"),
		stringParam("project-repos", "training inference"),
		stringParam("create-project-repos", "true"),
		stringParam("image-retention", "15"),
		stringParam("team-tag", "team"),
		stringParam("allowed-teams", "data risk"),
		stringParam("scan-on-push", "true"),
		stringParam("tag-mutability", "IMMUTABLE"),
		stringParam("kms-key", "alias/ecr"),
		stringParam("drift-mode", "report"),
		stringParam("lifecycle-exempt", "acme-sm-old/*"),
		stringParam("on-project-delete", "retain"),
	}
	for i := range 9 {
		ps = append(ps, stringParam(fmt.Sprintf("overrides/acme-sm-p%d/image-retention", i), strconv.Itoa(i+1)))
	}
	return ps
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name      string
		pageSizes []int
		wantCalls int
	}{
		// 10 + 0 + 10 + 3: an empty page with a NextToken in the middle must not end the walk.
		{"empty page in the middle", []int{10, 0, 10, 3}, 4},
		// A short page is not the last page either.
		{"short page in the middle", []int{10, 4, 10}, 3},
		{"empty first page", []int{0, 10, 10, 10}, 4},
		{"one at a time", []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 23},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeSSM{params: twentyThree(), pageSizes: tt.pageSizes}
			c, err := config.Load(context.Background(), fake, path, "")
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if fake.calls != tt.wantCalls {
				t.Errorf("GetParametersByPath calls = %d; want %d", fake.calls, tt.wantCalls)
			}
			// The last page holds the last overrides; earlier pages the named parameters.
			if len(c.Overrides) != 9 {
				t.Errorf("got %d overrides (%v); want all 9: a page was skipped", len(c.Overrides), c.Overrides)
			}
			if c.Overrides["acme-sm-p8"] != 9 {
				t.Errorf("last override = %d; want 9", c.Overrides["acme-sm-p8"])
			}
			if c.ImageRetention != 15 || c.DriftMode != config.ModeReport || c.KMSKey != "alias/ecr" {
				t.Errorf("named parameters not read: %+v", c)
			}
			if len(c.Unknown) != 0 {
				t.Errorf("Unknown = %v; want none", c.Unknown)
			}
			for _, p := range fake.paths {
				if p != path {
					t.Errorf("read path %q; want %q", p, path)
				}
			}
		})
	}
}

func TestLoadRejectsSecureString(t *testing.T) {
	ps := twentyThree()
	ps = append(ps, ssmtypes.Parameter{Name: aws.String(path + "/kms-key-secret"), Value: aws.String("AQICAH..."), Type: ssmtypes.ParameterTypeSecureString})
	_, err := config.Load(context.Background(), &fakeSSM{params: ps}, path, "")
	invalid := config.Invalid(err)
	if len(invalid) != 1 {
		t.Fatalf("got %v; want one InvalidError", err)
	}
	if got, want := invalid[0].Parameter, path+"/kms-key-secret"; got != want {
		t.Errorf("Parameter = %q; want %q", got, want)
	}
	if strings.Contains(err.Error(), "AQICAH") {
		t.Errorf("error %q shows the encrypted value", err)
	}
}

func TestLoadAPIError(t *testing.T) {
	apiErr := errors.New("AccessDeniedException: not authorized")
	_, err := config.Load(context.Background(), &fakeSSM{err: apiErr}, path, "")
	if !errors.Is(err, apiErr) {
		t.Fatalf("got %v; want it to wrap %v", err, apiErr)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name the path", err)
	}
	if len(config.Invalid(err)) != 0 {
		t.Errorf("a read failure is reported as an invalid value: %v", err)
	}
}

func TestLoadInvalid(t *testing.T) {
	ps := append(twentyThree(), stringParam("image-retention", "0"))
	_, err := config.Load(context.Background(), &fakeSSM{params: ps}, path, "")
	if len(config.Invalid(err)) != 1 {
		t.Errorf("got %v; want one InvalidError", err)
	}
}

// TestParametersAgainstTheDocs holds each default of the configuration table (docs/configuration.md) to
// Parameters: a backquoted value is the default, "required" a required parameter, and any
// other text (empty, ...) no default.
func TestParametersAgainstTheDocs(t *testing.T) {
	readme, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, _ := strings.Cut(string(readme), "\n## Configuration\n")
	table, _, _ = strings.Cut(table, "\n## ")
	rows := 0
	for _, line := range strings.Split(table, "\n") {
		cells := strings.Split(line, " | ")
		name, ok := strings.CutPrefix(cells[0], "| `")
		if !ok || len(cells) < 3 {
			continue
		}
		name, _, _ = strings.Cut(name, "`")
		if strings.HasPrefix(name, "overrides/") {
			continue
		}
		rows++
		var p config.Parameter
		for _, q := range config.Parameters {
			if q.Name == name {
				p = q
			}
		}
		if p.Name == "" {
			t.Errorf("docs/configuration.md documents %s, which Parameters does not hold", name)
			continue
		}
		cell := cells[1]
		switch {
		case cell == "required":
			if !p.Required {
				t.Errorf("%s: docs/configuration.md says required; Parameters does not", name)
			}
		case strings.HasPrefix(cell, "`"):
			if want := strings.Trim(cell, "`"); p.Default != want {
				t.Errorf("%s: the documented default %q; Parameters' %q", name, want, p.Default)
			}
		default:
			if p.Default != "" || p.Required {
				t.Errorf("%s: the documented default %q; Parameters' %q (required %v)", name, cell, p.Default, p.Required)
			}
		}
	}
	if rows != len(config.Parameters) {
		t.Errorf("documented rows %d; Parameters %d", rows, len(config.Parameters))
	}
}

// TestParametersAreWhatParseReads: unset, every parameter reads as its default.
func TestParametersAreWhatParseReads(t *testing.T) {
	values := map[string]string{}
	for _, p := range config.Parameters {
		if p.Default != "" {
			values[path+"/"+p.Name] = p.Default
		}
	}
	values[path+"/company"] = "acme"
	set, err := config.Parse(path, values)
	if err != nil {
		t.Fatal(err)
	}
	unset, err := config.Parse(path, params("company", "acme"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(unset, set, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("every default set against none set (-unset +set):\n%s", diff)
	}
}

// protect-in-use puts the rule of the images in use first; without it the policy is exactly
// what it was.
func TestProtectInUseRule(t *testing.T) {
	off, err := config.Parse(path, params("company", "acme", "protected-tag-patterns", "prod-*"))
	if err != nil {
		t.Fatal(err)
	}
	on, err := config.Parse(path, params("company", "acme", "protected-tag-patterns", "prod-*", "protect-in-use", "true"))
	if err != nil {
		t.Fatal(err)
	}
	repo := "acme-sm-t-p/training"
	if got, want := off.Lifecycle(repo).Text(), (lifecycle.Spec{Keep: 10, Protected: []string{"prod-*"}}).Text(); got != want {
		t.Errorf("off: %s; want today's %s", got, want)
	}
	if got := on.Lifecycle(repo).Protected; !slices.Equal(got, []string{config.InUsePattern, "prod-*"}) {
		t.Errorf("on: protected %v; want the images in use first", got)
	}
	// 48 patterns and untagged expiry fill the 50 rules; the rule of the images in use is one more.
	_, err = config.Parse(path, params("company", "acme", "protected-tag-patterns", patterns(48), "untagged-expiry-days", "7", "protect-in-use", "true"))
	if err == nil || !strings.Contains(err.Error(), "51 rules") {
		t.Errorf("48 patterns with protect-in-use: %v; want the 51 rules named", err)
	}
}

// manyDomains is n distinct DataZone domain ids, space-separated.
func manyDomains(n int) string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("dzd_domain%02d", i)
	}
	return strings.Join(ids, " ")
}
