package inuse_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/inuse"
)

func TestCollect(t *testing.T) {
	ep := func(name string) inuse.Use { return inuse.Use{Kind: inuse.KindEndpoint, Name: name} }
	job := func(name, account string) inuse.Use {
		return inuse.Use{Kind: inuse.KindTrainingJob, Name: name, Account: account}
	}
	ref := func(image string, use inuse.Use) inuse.Reference { return inuse.Reference{Image: image, Use: use} }
	managed := func(repo string) bool { return strings.HasPrefix(repo, "acme-sm-") }

	tests := []struct {
		name    string
		refs    []inuse.Reference
		managed func(string) bool
		want    inuse.Inventory
	}{{
		name: "nothing",
		want: inuse.Inventory{Registry: account, Region: region, Repos: map[string]inuse.Repository{}},
	}, {
		name: "digest wins over tag; a bare name is latest; uses sorted and deduplicated",
		refs: []inuse.Reference{
			ref(host+"/acme-sm-ds/churn:v1@"+digestA, ep("b")),
			ref(host+"/acme-sm-ds/churn@"+digestA, ep("a")),
			ref(host+"/acme-sm-ds/churn@"+digestA, ep("b")),
			ref(host+"/acme-sm-ds/churn@"+digestA, job("j", "210987654321")),
			ref(host+"/acme-sm-ds/churn:v1", ep("c")),
			ref(host+"/acme-sm-ds/churn:v1", ep("c")),
			ref(host+"/acme-sm-ds/churn", ep("d")),
			ref(account+".dkr.ecr-fips.us-east-1.amazonaws.com/acme-sm-ds/train:v2", job("j", "")),
		},
		managed: managed,
		want: inuse.Inventory{Registry: account, Region: region, Repos: map[string]inuse.Repository{
			"acme-sm-ds/churn": {
				Digests: map[string][]inuse.Use{digestA: {ep("a"), ep("b"), job("j", "210987654321")}},
				Tags:    map[string][]inuse.Use{"v1": {ep("c")}, "latest": {ep("d")}},
			},
			"acme-sm-ds/train": {
				Digests: map[string][]inuse.Use{},
				Tags:    map[string][]inuse.Use{"v2": {job("j", "")}},
			},
		}},
	}, {
		name: "others counted and ignored",
		refs: []inuse.Reference{
			ref("763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1", ep("a")),
			ref("763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:2.1", ep("a")),
			ref(account+".dkr.ecr.eu-west-1.amazonaws.com/acme-sm-ds/churn:v1", ep("a")),
			ref(host+"/team-tools/churn@"+digestB, ep("a")),
			ref(host+"/team-tools/other:v1", ep("b")),
			ref("public.ecr.aws/acme/churn:v1", ep("a")),
			ref("ubuntu:22.04", ep("a")),
			ref(host+"/Bad:tag", ep("a")),
			ref(host+"/acme-sm-ds/churn@"+digestB, ep("e")),
		},
		managed: managed,
		want: inuse.Inventory{Registry: account, Region: region,
			Repos: map[string]inuse.Repository{"acme-sm-ds/churn": {
				Digests: map[string][]inuse.Use{digestB: {ep("e")}}, Tags: map[string][]inuse.Use{}}},
			Ignored: inuse.Ignored{NotECR: 3, OtherRegistry: 2, OtherRegion: 1, Unmanaged: 2}},
	}, {
		name: "nil managed keeps every repository",
		refs: []inuse.Reference{ref(host+"/team-tools/churn@"+digestB, ep("a"))},
		want: inuse.Inventory{Registry: account, Region: region, Repos: map[string]inuse.Repository{
			"team-tools/churn": {Digests: map[string][]inuse.Use{digestB: {ep("a")}}, Tags: map[string][]inuse.Use{}}}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := inuse.Collect(tt.refs, account, region, tt.managed)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Collect (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInventoryMethods(t *testing.T) {
	a := inuse.Use{Kind: inuse.KindEndpoint, Name: "a"}
	b := inuse.Use{Kind: inuse.KindImageVersion, Name: "studio/1"}
	inv := inuse.Collect([]inuse.Reference{
		{Image: host + "/z/churn@" + digestB, Use: a},
		{Image: host + "/z/churn@" + digestA, Use: b},
		{Image: host + "/z/churn:v2", Use: a},
		{Image: host + "/z/churn:v10", Use: b},
		{Image: host + "/a/train:v1", Use: b},
		{Image: "ubuntu", Use: a},
	}, account, region, nil)

	if diff := cmp.Diff([]string{"a/train", "z/churn"}, inv.Repositories()); diff != "" {
		t.Errorf("Repositories (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{digestB, digestA}, inv.Digests("z/churn")); diff != "" {
		t.Errorf("Digests (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"v10", "v2"}, inv.Tags("z/churn")); diff != "" {
		t.Errorf("Tags (-want +got):\n%s", diff)
	}
	if got := inv.Digests("a/train"); len(got) != 0 {
		t.Errorf("Digests of a repository in use by tag only: got %v", got)
	}
	if got := inv.Tags("unknown"); len(got) != 0 {
		t.Errorf("Tags of a repository not in use: got %v", got)
	}
	if diff := cmp.Diff([]inuse.Use{b}, inv.Uses("z/churn", digestA)); diff != "" {
		t.Errorf("Uses by digest (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]inuse.Use{a}, inv.Uses("z/churn", "v2")); diff != "" {
		t.Errorf("Uses by tag (-want +got):\n%s", diff)
	}
	if got := inv.Uses("z/churn", "v3"); got != nil {
		t.Errorf("Uses of a tag not in use: got %v", got)
	}
	if got := inv.Len(); got != 5 {
		t.Errorf("Len: got %d; want 5", got)
	}
	if got := inv.Ignored.Total(); got != 1 {
		t.Errorf("Ignored.Total: got %d; want 1", got)
	}
}
