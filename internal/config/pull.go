package config

import (
	"fmt"
	"slices"
	"sort"
	"unicode/utf8"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/access"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
)

// pullPolicies checks that the product's own repository policy statements fit in a policy ECR
// accepts (access.MaxPolicyLength) on every repository the configuration can produce. A
// repository is granted pull to pull-accounts and its namespace's override; a shared one also to
// every member account, a member project's also to its own account. Each account is named one by
// one, so enough of them make a policy ECR refuses, and then every write of it fails. The
// longest policies are those of the shared namespace, of each namespace with an override, and
// of an ordinary member project; each too long one is named by the parameter that makes it so:
//   - pull-accounts, when a project repository's policy is already too long (every other policy
//     names its accounts too);
//   - member-accounts, when the shared repositories' policy is too long without an override;
//   - overrides/<namespace>/pull-accounts, when it is what makes its namespace's too long.
func (p *parser) pullPolicies(c Config) {
	// A member project's repositories name their own account too, in a statement of its own.
	withMember := func(set []string) access.Grant {
		g := access.Grant{Accounts: set, Organization: c.PullOrgID}
		if len(c.MemberAccounts) > 0 {
			g.ProjectAccount = c.MemberAccounts[0]
		}
		return g
	}
	memberNote := ""
	if len(c.MemberAccounts) > 0 {
		memberNote = " and the project's member account"
	}
	if n, length := pullPolicy(withMember(c.PullAccounts)); length > access.MaxPolicyLength {
		p.fail(paramPullAccounts, "", tooLong("a project repository's policy", "pull-accounts"+memberNote, n, length, c.PullOrgID, orgAdvice))
		return
	}
	shared := naming.SharedNamespace(c.Company)
	n, length := pullPolicy(access.Grant{Accounts: union(c.PullAccounts, c.MemberAccounts), Organization: c.PullOrgID})
	if length > access.MaxPolicyLength {
		who := "every member account"
		if len(c.PullAccounts) > 0 {
			who += " and pull-accounts"
		}
		valid := tooLong("the shared repositories' policy", who, n, length, c.PullOrgID, "; each member account is named, with pull-org-id too")
		if len(c.PullAccounts) > 0 {
			valid += "; grant pull-accounts' accounts with pull-org-id instead: " + oneStatement
		}
		p.fail(paramMemberAccounts, "", valid)
	}
	namespaces := make([]string, 0, len(c.NamespacePull))
	for ns := range c.NamespacePull {
		namespaces = append(namespaces, ns)
	}
	sort.Strings(namespaces)
	for _, ns := range namespaces {
		name := overridesPrefix + ns + "/pull-accounts"
		if ns == shared {
			if length > access.MaxPolicyLength {
				continue // member-accounts is named already
			}
			n, l := pullPolicy(access.Grant{Accounts: union(c.PullAccounts, c.MemberAccounts, c.NamespacePull[ns]), Organization: c.PullOrgID})
			if l > access.MaxPolicyLength {
				p.fail(name, "", tooLong("the shared repositories' policy", "pull-accounts, every member account and this override", n, l, c.PullOrgID, orgAdvice))
			}
			continue
		}
		if n, l := pullPolicy(withMember(union(c.PullAccounts, c.NamespacePull[ns]))); l > access.MaxPolicyLength {
			p.fail(name, "", tooLong(fmt.Sprintf("the policy of %s/*", ns), "pull-accounts, this override"+memberNote, n, l, c.PullOrgID, orgAdvice))
		}
	}
}

// tooLong says what is valid for a list of accounts that makes the policy of where too long:
// it names n accounts (who) in length characters; advice follows.
func tooLong(where, who string, n, length int, org, advice string) string {
	return fmt.Sprintf("%s that fit in a repository policy: the product's statements in %s would name %d accounts (%s) in %d characters, "+
		"and ECR allows %d, which holds at most %d accounts%s", pullAccountsValid, where, n, who, length, access.MaxPolicyLength, MaxPullAccounts(org), advice)
}

const (
	oneStatement = "one statement whatever their number"
	orgAdvice    = "; grant an organization's accounts with pull-org-id instead: " + oneStatement
)

// pullPolicy returns how many accounts a repository policy that holds only the product's
// statements for g names, and the length of its text as the product writes it.
func pullPolicy(g access.Grant) (n, length int) {
	n = len(g.Accounts)
	if g.ProjectAccount != "" {
		n++
	}
	text, err := access.New(g.Statements())
	if err != nil {
		// Strings always encode; should they not, the write itself says so.
		return n, 0
	}
	return n, utf8.RuneCountInString(text)
}

// MaxPullAccounts is the most account ids the product's statements can name in one repository
// policy that ECR accepts, with org as pull-org-id ("" for none). Every id is 12 digits, so the
// length of the text depends on their number only.
func MaxPullAccounts(org string) int {
	fits := func(n int) bool {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprintf("%012d", i)
		}
		_, length := pullPolicy(access.Grant{Accounts: ids, Organization: org})
		return length <= access.MaxPolicyLength
	}
	// Each id takes more than one character, so fewer than MaxPolicyLength fit.
	return sort.Search(access.MaxPolicyLength, func(n int) bool { return !fits(n + 1) })
}

// union returns the ids of every list, sorted, each once.
func union(lists ...[]string) []string {
	return slices.Compact(slices.Sorted(slices.Values(slices.Concat(lists...))))
}
