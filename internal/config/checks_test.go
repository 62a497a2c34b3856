package config_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/access"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
)

const home = "111122223333"

func TestParseForHomeAccount(t *testing.T) {
	tests := []struct {
		name    string
		home    string
		members string
		wantErr bool
	}{
		{"this account alone", home, home, true},
		{"this account among others", home, "222233334444 111122223333 333344445555", true},
		{"this account twice", home, "111122223333 111122223333", true},
		{"other accounts only", home, "222233334444 333344445555", false},
		{"this account unknown", "", home, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.ParseFor(path, tt.home, params("company", "acme", "member-accounts", tt.members))
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("ParseFor: %v", err)
				}
				if len(c.MemberAccounts) == 0 {
					t.Errorf("MemberAccounts empty; want %q", tt.members)
				}
				return
			}
			invalid := config.Invalid(err)
			if len(invalid) != 1 {
				t.Fatalf("got %v; want one InvalidError", err)
			}
			e := invalid[0]
			if want := path + "/member-accounts"; e.Parameter != want {
				t.Errorf("Parameter = %q; want %q", e.Parameter, want)
			}
			if e.Value != tt.members {
				t.Errorf("Value = %q; want %q", e.Value, tt.members)
			}
			if !strings.Contains(e.Valid, home+" is this account") {
				t.Errorf("Valid = %q; want it to name this account %s", e.Valid, home)
			}
			for _, want := range []string{path + "/member-accounts", strconv.Quote(tt.members), home + " is this account"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

// The home account is one problem among the others, reported together with them.
func TestParseForHomeWithOtherProblems(t *testing.T) {
	_, err := config.ParseFor(path, home, params("company", "acme", "image-retention", "0", "member-accounts", home))
	var got []string
	for _, e := range config.Invalid(err) {
		got = append(got, strings.TrimPrefix(e.Parameter, path+"/"))
	}
	if strings.Join(got, " ") != "image-retention member-accounts" {
		t.Errorf("invalid parameters %v; want image-retention and member-accounts", got)
	}
}

func TestLoadChecksHomeAccount(t *testing.T) {
	ps := append(twentyThree(), stringParam("member-accounts", "222233334444 "+home))
	_, err := config.Load(context.Background(), &fakeSSM{params: ps}, path, home)
	if invalid := config.Invalid(err); len(invalid) != 1 || invalid[0].Parameter != path+"/member-accounts" {
		t.Errorf("got %v; want member-accounts invalid", err)
	}
}

// ids returns n distinct 12-digit account ids starting at from.
func ids(from, n int) string {
	list := make([]string, n)
	for i := range list {
		list[i] = fmt.Sprintf("%012d", 500000000000+from+i)
	}
	return strings.Join(list, " ")
}

// most measures, with the access encoder, how many accounts the product's statements can name in
// a repository policy ECR accepts.
func most(t *testing.T, org string) int {
	t.Helper()
	for n := 1; ; n++ {
		text, err := access.New(access.Grant{Accounts: strings.Fields(ids(0, n)), Organization: org}.Statements())
		if err != nil {
			t.Fatal(err)
		}
		if utf8.RuneCountInString(text) > access.MaxPolicyLength {
			return n - 1
		}
	}
}

// The figures docs/configuration.md gives: how many accounts one repository policy of the product's names.
func TestMaxPullAccounts(t *testing.T) {
	for _, tc := range []struct {
		org  string
		want int
	}{
		{"", 668},
		{"o-a1b2c3d4e5", 651},
	} {
		if got := most(t, tc.org); got != tc.want {
			t.Errorf("with pull-org-id %q, %d accounts fit (measured); docs/configuration.md says %d", tc.org, got, tc.want)
		}
		if got := config.MaxPullAccounts(tc.org); got != tc.want {
			t.Errorf("MaxPullAccounts(%q) = %d; want %d", tc.org, got, tc.want)
		}
	}
}

// mostBesideAProject measures how many accounts pull-accounts can name in a member project's
// repository policy, which also holds the project account's own statement.
func mostBesideAProject(t *testing.T) int {
	t.Helper()
	for n := 1; ; n++ {
		text, err := access.New(access.Grant{Accounts: strings.Fields(ids(0, n)), ProjectAccount: "499999999999"}.Statements())
		if err != nil {
			t.Fatal(err)
		}
		if utf8.RuneCountInString(text) > access.MaxPolicyLength {
			return n - 1
		}
	}
}

func TestParsePullPolicyLength(t *testing.T) {
	const org = "o-a1b2c3d4e5"
	n, nOrg, nm := most(t, ""), most(t, org), mostBesideAProject(t)
	const (
		project = "overrides/acme-sm-vision-detector/pull-accounts"
		shared  = "overrides/acme-sagemaker-shared/pull-accounts"
		advice  = "grant an organization's accounts with pull-org-id instead"
	)
	tests := []struct {
		name  string
		kv    []string
		param string // "" when valid
		valid string // a substring of what is valid
	}{
		// The shared repositories name every member account.
		{"member-accounts at the limit", []string{"member-accounts", ids(0, n)}, "", ""},
		{"member-accounts one over", []string{"member-accounts", ids(0, n+1)}, "member-accounts",
			fmt.Sprintf("would name %d accounts (every member account) in", n+1)},
		{"member-accounts at the limit with pull-org-id", []string{"member-accounts", ids(0, nOrg), "pull-org-id", org}, "", ""},
		{"member-accounts one over with pull-org-id", []string{"member-accounts", ids(0, nOrg+1), "pull-org-id", org}, "member-accounts",
			fmt.Sprintf("which holds at most %d accounts; each member account is named, with pull-org-id too", nOrg)},
		{"member-accounts and pull-accounts at the limit", []string{"pull-accounts", ids(0, 10), "member-accounts", ids(10, n-10)}, "", ""},
		{"member-accounts and pull-accounts one over", []string{"pull-accounts", ids(0, 10), "member-accounts", ids(10, n-9)}, "member-accounts",
			"grant pull-accounts' accounts with pull-org-id instead"},
		{"the same ids in both count once", []string{"pull-accounts", ids(0, nm), "member-accounts", ids(0, nm)}, "", ""},
		// Every repository names pull-accounts.
		{"pull-accounts at the limit", []string{"pull-accounts", ids(0, n)}, "", ""},
		{"pull-accounts one over", []string{"pull-accounts", ids(0, n+1)}, "pull-accounts", advice},
		{"pull-accounts one over with pull-org-id", []string{"pull-accounts", ids(0, nOrg+1), "pull-org-id", org}, "pull-accounts", advice},
		// A member project's repositories name its own account too.
		{"pull-accounts at the limit with a member", []string{"pull-accounts", ids(0, nm), "member-accounts", ids(n, 1)}, "", ""},
		{"pull-accounts one over with a member", []string{"pull-accounts", ids(0, nm+1), "member-accounts", ids(n, 1)}, "pull-accounts",
			"pull-accounts and the project's member account"},
		// A namespace's override adds to pull-accounts there.
		{"override at the limit", []string{"pull-accounts", ids(0, 100), project, ids(100, n-100)}, "", ""},
		{"override one over", []string{"pull-accounts", ids(0, 100), project, ids(100, n-99)}, project, advice},
		{"override at the limit with a member", []string{project, ids(0, nm), "member-accounts", ids(n, 1)}, "", ""},
		{"override one over with a member", []string{project, ids(0, nm+1), "member-accounts", ids(n, 1)}, project, "acme-sm-vision-detector/*"},
		{"shared override at the limit", []string{"member-accounts", ids(0, 100), shared, ids(100, n-100)}, "", ""},
		{"shared override one over", []string{"member-accounts", ids(0, 100), shared, ids(100, n-99)}, shared, advice},
		// One cause, one problem: every policy names pull-accounts.
		{"pull-accounts over, overrides and members too", []string{"pull-accounts", ids(0, n+1), project, ids(2000, 5),
			shared, ids(3000, 5), "member-accounts", ids(4000, 5)}, "pull-accounts", advice},
		{"pull-org-id and few accounts", []string{"pull-org-id", org, "pull-accounts", ids(0, 20), "member-accounts", ids(20, 50),
			project, ids(70, 5)}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values := params(append([]string{"company", "acme"}, tt.kv...)...)
			c, err := config.ParseFor(path, home, values)
			if tt.param == "" {
				if err != nil {
					t.Fatalf("ParseFor: %v", err)
				}
				if c.Company != "acme" {
					t.Errorf("config not returned: %+v", c)
				}
				return
			}
			invalid := config.Invalid(err)
			if len(invalid) != 1 {
				t.Fatalf("got %d InvalidErrors (%v); want 1", len(invalid), err)
			}
			e := invalid[0]
			if want := path + "/" + tt.param; e.Parameter != want {
				t.Errorf("Parameter = %q; want %q", e.Parameter, want)
			}
			if want := values[path+"/"+tt.param]; e.Value != want {
				t.Errorf("Value = %.40q...; want the parameter's value", e.Value)
			}
			for _, want := range []string{tt.valid, "ECR allows 10240"} {
				if !strings.Contains(e.Valid, want) {
					t.Errorf("Valid = %q; want it to contain %q", e.Valid, want)
				}
			}
		})
	}
}
