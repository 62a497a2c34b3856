package reconcile

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/access"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
)

// Setting names one part of a repository's desired state.
type Setting string

// The settings the plan compares.
const (
	SettingRepository Setting = "repository"
	SettingLifecycle  Setting = "lifecycle-policy"
	SettingMutability Setting = "tag-mutability"
	SettingTags       Setting = "tags"
	SettingAccess     Setting = "repository-policy"
	SettingEncryption Setting = "encryption"
	// SettingInUse is an image SageMaker uses without the tag that protects it
	// (protect-in-use); its path is the image's digest.
	SettingInUse Setting = "image-in-use"
)

// Difference is one place where a repository is not as desired: the setting, where in it, what
// was expected and what was found ("(absent)" for nothing), and whether ECR lets it be fixed.
// A difference is what the plan found, and stays so: whether a run fixed it is part of the
// run's Result (see Finding).
type Difference struct {
	Setting  Setting `json:"setting"`
	Path     string  `json:"path,omitempty"`
	Expected string  `json:"expected"`
	Found    string  `json:"found"`
	Fixable  bool    `json:"fixable"`
}

const absent = "(absent)"

// Step is the plan for one repository, a delta: plain data, computed without any call, that
// can be logged, reported and tested on its own. The differences say what is not as desired;
// the writes are every call that makes the repository as desired, planned for each difference
// ECR can fix (and to create a missing repository, complete). Whether they are made is the
// mode's call, taken by Apply.
type Step struct {
	Desired  Desired
	Observed *registry.Repository
	// Conflict, when not empty, says why the repository belongs to someone else. Nothing is
	// compared or planned for it then.
	Conflict    string
	Differences []Difference
	Writes      []Write
}

// Creates reports whether the step creates the repository.
func (s Step) Creates() bool {
	return len(s.Writes) > 0 && s.Writes[0].Op == OpCreate
}

// Plan compares one desired repository with what ECR holds (nil: it does not exist). A setting
// the observation did not read is not compared: unknown is not absent (which settings to read
// is the caller's choice, see Reads). Every difference ECR can fix gets the write that fixes it.
// A missing repository is planned to be created, complete: whether to create it is the
// caller's call. An exempt repository's lifecycle policy is never compared or written, not
// even at creation.
func Plan(d Desired, o *registry.Repository) Step {
	s := Step{Desired: d, Observed: o}
	if o == nil {
		s.Differences = []Difference{{Setting: SettingRepository, Expected: d.Name, Found: absent, Fixable: true}}
		s.Writes = []Write{{Op: OpCreate}} // with every setting of d (see Engine.apply)
		if !d.Exempt {
			s.Writes = append(s.Writes, Write{Op: OpLifecycle, Document: d.Policy})
		}
		if !d.Pull.Empty() {
			text, err := access.New(d.Pull.Statements())
			if err != nil {
				s.Differences = append(s.Differences, Difference{Setting: SettingAccess, Expected: "the product's statements", Found: err.Error()})
			} else {
				s.Writes = append(s.Writes, Write{Op: OpSetAccess, Document: text})
			}
		}
		return s
	}
	if o.Tags.Known {
		if s.Conflict = conflict(d, o); s.Conflict != "" {
			return s
		}
	}
	if !d.Exempt && o.Lifecycle.Known {
		if diffs := lifecycleDifferences(d.Policy, o.Lifecycle.Value); len(diffs) > 0 {
			s.Differences = append(s.Differences, diffs...)
			s.Writes = append(s.Writes, Write{Op: OpLifecycle, Document: d.Policy})
		}
	}
	// DescribeRepositories always reports the mutability; an empty one was not reported, and
	// is unknown.
	if diffs := mutabilityDifferences(d.Mutability, o.Mutability); o.Mutability.Mode != "" && len(diffs) > 0 {
		s.Differences = append(s.Differences, diffs...)
		s.Writes = append(s.Writes, Write{Op: OpMutability, Mutability: d.Mutability})
	}
	if o.Tags.Known {
		s.planTags(d, o.Tags.Value)
	}
	if o.Access.Known {
		diffs, w := planAccess(d, o.Access.Value)
		s.Differences = append(s.Differences, diffs...)
		if w != nil {
			s.Writes = append(s.Writes, *w)
		}
	}
	if o.Encryption.Type != "" { // likewise: empty is not reported, unknown
		s.Differences = append(s.Differences, encryptionDifferences(d.KMSKey, o.Encryption)...)
	}
	return s
}

func lifecycleDifferences(want string, have registry.Document) []Difference {
	d := Difference{Setting: SettingLifecycle, Expected: want, Fixable: true}
	if !have.Exists {
		d.Found = absent
		return []Difference{d}
	}
	leaves, err := lifecycle.Differences(want, have.Text)
	if err != nil {
		d.Path, d.Found = "(unparsable)", have.Text
		return []Difference{d}
	}
	var out []Difference
	for _, l := range leaves {
		out = append(out, Difference{Setting: SettingLifecycle, Path: l.Path, Expected: l.Want, Found: l.Got, Fixable: true})
	}
	return out
}

func mutabilityDifferences(want, have registry.Mutability) []Difference {
	var out []Difference
	if want.Mode != have.Mode {
		out = append(out, Difference{Setting: SettingMutability, Path: "imageTagMutability", Expected: want.Mode, Found: orAbsent(have.Mode), Fixable: true})
	}
	if !slices.Equal(want.Exclusions, have.Exclusions) {
		out = append(out, Difference{Setting: SettingMutability, Path: "imageTagMutabilityExclusionFilters",
			Expected: orAbsent(strings.Join(want.Exclusions, " ")), Found: orAbsent(strings.Join(have.Exclusions, " ")), Fixable: true})
	}
	return out
}

func (s *Step) planTags(d Desired, have map[string]string) {
	tag := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(d.Tags)) {
		want, got := d.Tags[k], have[k]
		if sameTag(k, got, want) {
			continue
		}
		if _, ok := have[k]; !ok {
			got = absent
		}
		s.Differences = append(s.Differences, Difference{Setting: SettingTags, Path: k, Expected: want, Found: got, Fixable: true})
		tag[k] = want
	}
	if len(tag) > 0 {
		s.Writes = append(s.Writes, Write{Op: OpTag, Tags: tag})
	}
	if stamp, deleted := have[naming.TagProjectDeleted]; deleted && d.Owner != nil {
		// The project exists again (it was re-created with the same name and team).
		s.Differences = append(s.Differences, Difference{Setting: SettingTags, Path: naming.TagProjectDeleted, Expected: absent, Found: stamp, Fixable: true})
		s.Writes = append(s.Writes, Write{Op: OpUntag, Keys: []string{naming.TagProjectDeleted}})
	}
}

// planAccess compares the product's statements of the repository policy with the grant, and
// returns the write that makes them as granted (nil: none, or none possible). Every other
// statement is someone else's: it is kept as it is, and a policy that holds one is never
// deleted. A policy that does not parse cannot be merged without losing what someone wrote, so
// it is reported and left alone.
func planAccess(d Desired, have registry.Document) ([]Difference, *Write) {
	want := d.Pull.Statements()
	policy := &access.Policy{}
	if have.Exists {
		var err error
		if policy, err = access.Parse(have.Text); err != nil {
			return []Difference{{Setting: SettingAccess, Path: "(unparsable)", Expected: "a policy document", Found: err.Error(), Fixable: false}}, nil
		}
	}
	var out []Difference
	for _, diff := range access.Differences(policy.Ours(), want) {
		out = append(out, Difference{Setting: SettingAccess, Path: "Statement[" + diff.Sid + "]",
			Expected: orAbsent(diff.Expected), Found: orAbsent(diff.Found), Fixable: true})
	}
	if len(out) == 0 {
		return nil, nil
	}
	if len(want) == 0 && !policy.Foreign() {
		return out, &Write{Op: OpDeleteAccess}
	}
	text, err := policy.With(want)
	if err != nil {
		// Decoded JSON always encodes again; should it not, nothing is written.
		return append(out, Difference{Setting: SettingAccess, Path: "(unencodable)", Expected: "a policy document", Found: err.Error()}), nil
	}
	if n := utf8.RuneCountInString(text); n > access.MaxPolicyLength {
		// The configuration's own statements always fit (config checks them); someone else's
		// statements beside them can still make a policy ECR refuses: reported, not written.
		return append(out, Difference{Setting: SettingAccess, Path: "(too long)",
			Expected: fmt.Sprintf("a policy of at most %d characters", access.MaxPolicyLength),
			Found:    fmt.Sprintf("%d characters with the product's statements beside the others', over the %d ECR allows", n, access.MaxPolicyLength)}), nil
	}
	return out, &Write{Op: OpSetAccess, Document: text}
}

// keyARN is a KMS key ARN, the form ECR reports a repository's key in.
var keyARN = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/(.+)$`)

// encryptionDifferences compares the encryption. The key is compared only where the configured
// one can be: a key ARN exactly, a key id against the id in the ARN ECR reports; an alias
// names a key only KMS can resolve, so then only the encryption type is compared.
func encryptionDifferences(wantKey string, have registry.Encryption) []Difference {
	wantType := "AES256"
	if wantKey != "" {
		wantType = "KMS"
	}
	if have.Type != wantType {
		return []Difference{{Setting: SettingEncryption, Path: "encryptionType", Expected: wantType, Found: have.Type}}
	}
	if wantKey == "" || have.KMSKey == "" || strings.HasPrefix(wantKey, "alias/") || strings.Contains(wantKey, ":alias/") {
		return nil
	}
	same := have.KMSKey == wantKey
	if m := keyARN.FindStringSubmatch(have.KMSKey); m != nil && !strings.HasPrefix(wantKey, "arn:") {
		same = m[1] == wantKey
	}
	if same {
		return nil
	}
	return []Difference{{Setting: SettingEncryption, Path: "kmsKey", Expected: wantKey, Found: have.KMSKey}}
}

func orAbsent(s string) string {
	if s == "" {
		return absent
	}
	return s
}

// sameTag compares a tag value. The team and project name are matched regardless of case:
// events spell a project name as typed, ARNs in lower case, and either is the same project.
func sameTag(key, got, want string) bool {
	if key == naming.TagTeam || key == naming.TagProjectName {
		return got != "" && strings.EqualFold(got, want)
	}
	return got == want
}

// accountName names a project's account in a conflict: a member's id, or this account.
func accountName(account string) string {
	if account == "" {
		return "this account"
	}
	return "account " + account
}

// AccountOf is the one rule of which account an existing repository is (the project account
// id, "" for this account), for provisioning, the sweep and the repair alike: the account its
// account tag names; without one, the member its policy's project-account statement names
// (access.Policy.ProjectAccount: the product's own record, which outlives a tag removed by
// hand); without either, this account. So a repository never changes hands between accounts:
// a retired repository of this account, or one stripped of its tags, is still this account's,
// and a member's whose tag was removed is still the member's.
func AccountOf(o *registry.Repository) string {
	if a := o.Tags.Value[naming.TagProjectAccount]; a != "" {
		return a
	}
	if !o.Access.Known || !o.Access.Value.Exists {
		return ""
	}
	policy, err := access.Parse(o.Access.Value.Text)
	if err != nil {
		return ""
	}
	return policy.ProjectAccount()
}

// conflict says why an existing project repository belongs to another project: its team or
// project-name tag names someone else, or it is another account's (see AccountOf). The seed's
// naming scheme lets team "data" with project "science-churn" and team "data-science" with
// project "churn" meet in one name, and projects of one name in two accounts share one
// repository name; the tags tell them apart, and such a repository is reported, never
// adopted: the first to own a name keeps it.
//
// A Unified Studio project's repositories say whose they are by identity (its domain and
// project ids, see naming.TagStudioProjectID): a repository that carries another project's
// identity, or part of one, is a conflict, and one that carries the project's own is its,
// whatever its team and name tags say (the project was renamed or moved; they are put back as
// it is now). A Unified Studio project adopts no repository that names an owner without an
// identity (a SageMaker project's repository often has no project id), and a SageMaker project
// none that carries an identity.
func conflict(d Desired, o *registry.Repository) string {
	if d.Owner == nil {
		return ""
	}
	tags := o.Tags.Value
	id, domain := tags[naming.TagStudioProjectID], tags[naming.TagDomainID]
	switch {
	case id != "" || domain != "":
		if !d.Owner.Studio() || id != d.Owner.ID || domain != d.Owner.Domain {
			return fmt.Sprintf("repository %s belongs to the Unified Studio project %s of domain %s", d.Name, orAbsent(id), orAbsent(domain))
		}
		return ""
	case d.Owner.Studio() && (tags[naming.TagProjectID] != "" || tags[naming.TagTeam] != "" || tags[naming.TagProjectName] != ""):
		// A repository with an owner and no identity is a SageMaker project's (whose id it may
		// not carry), or one whose identity someone removed: either way, not to be adopted.
		return fmt.Sprintf("repository %s belongs to the project %q of team %q, which has no Unified Studio identity", d.Name,
			tags[naming.TagProjectName], tags[naming.TagTeam])
	}
	if t := tags[naming.TagTeam]; t != "" && !strings.EqualFold(t, d.Owner.Team) {
		return fmt.Sprintf("repository %s belongs to team %q, not %q", d.Name, t, d.Owner.Team)
	}
	if p := tags[naming.TagProjectName]; p != "" && !strings.EqualFold(p, d.Owner.Name) {
		return fmt.Sprintf("repository %s belongs to project %q, not %q", d.Name, p, d.Owner.Name)
	}
	if a := AccountOf(o); a != d.Owner.Account {
		return fmt.Sprintf("repository %s belongs to the project %q of %s, not to the one of %s",
			d.Name, d.Owner.Name, accountName(a), accountName(d.Owner.Account))
	}
	return ""
}
