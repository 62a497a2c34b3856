package inuse_test

import (
	"strings"
	"testing"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/inuse"
)

const (
	account = "123456789012"
	region  = "us-east-1"
	host    = account + ".dkr.ecr." + region + ".amazonaws.com"
	digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	digestB = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
)

func TestParse(t *testing.T) {
	img := func(registry, region, repo, tag, digest string) inuse.Image {
		return inuse.Image{Registry: registry, Region: region, Repository: repo, Tag: tag, Digest: digest}
	}
	valid := []struct {
		uri  string
		want inuse.Image
	}{
		{host + "/churn", img(account, region, "churn", "", "")},
		{host + "/churn:v1", img(account, region, "churn", "v1", "")},
		{host + "/churn@" + digestA, img(account, region, "churn", "", digestA)},
		{host + "/churn:v1@" + digestB, img(account, region, "churn", "v1", digestB)},
		{host + "/acme-sm-ds/churn/inference:1.2.3-gpu_cu121", img(account, region, "acme-sm-ds/churn/inference", "1.2.3-gpu_cu121", "")},
		{host + "/a.b_c-d/e_f:Latest", img(account, region, "a.b_c-d/e_f", "Latest", "")},
		{host + "/churn:_x", img(account, region, "churn", "_x", "")},
		{host + "/churn:" + strings.Repeat("t", 128), img(account, region, "churn", strings.Repeat("t", 128), "")},
		{host + "/" + strings.Repeat("r", 256), img(account, region, strings.Repeat("r", 256), "", "")},
		{host + "/ab", img(account, region, "ab", "", "")},
		{account + ".dkr.ecr-fips.us-gov-west-1.amazonaws.com/churn:v1", img(account, "us-gov-west-1", "churn", "v1", "")},
		{account + ".dkr.ecr-fips.us-east-2.amazonaws.com/churn@" + digestA, img(account, "us-east-2", "churn", "", digestA)},
		{"210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn/churn:v1", img("210987654321", "cn-north-1", "churn", "v1", "")},
		{"210987654321.dkr.ecr.cn-northwest-1.amazonaws.com.cn/x/y@" + digestA, img("210987654321", "cn-northwest-1", "x/y", "", digestA)},
		{account + ".dkr.ecr.ap-southeast-7.amazonaws.com/churn", img(account, "ap-southeast-7", "churn", "", "")},
		{"000000000000.dkr.ecr.eu-central-2.amazonaws.com/churn", img("000000000000", "eu-central-2", "churn", "", "")},
	}
	for _, tt := range valid {
		got, ok := inuse.Parse(tt.uri)
		if !ok || got != tt.want {
			t.Errorf("Parse(%q): got %+v, %v; want %+v, true", tt.uri, got, ok, tt.want)
		}
	}

	invalid := []string{
		"",
		"churn:v1",
		"ubuntu:22.04",
		"docker.io/library/ubuntu:22.04",
		"ghcr.io/acme/churn@" + digestA,
		"public.ecr.aws/acme/churn:v1",
		"763104351884.dkr.ecr.us-east-1.amazonaws.com",
		host,
		host + "/",
		host + "//churn",
		host + "/churn/",
		host + "/a",
		host + "/" + strings.Repeat("r", 257),
		host + "/Churn",
		host + "/churn:",
		host + "/churn@",
		host + "/churn:v1:v2",
		host + "/churn:-v1",
		host + "/churn:" + strings.Repeat("t", 129),
		host + "/churn:v 1",
		host + "/churn:v1@sha256:abc",
		host + "/churn@sha256:" + strings.Repeat("A", 64),
		host + "/churn@sha512:" + strings.Repeat("a", 128),
		host + "/churn@" + digestA + "0",
		host + "/churn@" + digestA + ":v1",
		host + "/churn@" + digestA + "@" + digestB,
		host + "/../churn",
		host + "/churn/../other",
		host + "/e__f",
		host + "/-churn",
		host + "/chu%72n",
		host + "/churn:v1\n",
		" " + host + "/churn",
		host + "/churn ",
		host + "/ch urn",
		host + "/churn\x00",
		"https://" + host + "/churn:v1",
		"oci://" + host + "/churn:v1",
		host + ":443/churn:v1",
		"user@" + host + "/churn",
		host + "@evil.example/churn",
		host + ".evil.example/churn:v1",
		"evil.example/" + host + "/churn:v1",
		"x" + host + "/churn",
		"1234567890123.dkr.ecr.us-east-1.amazonaws.com/churn",
		"12345678901.dkr.ecr.us-east-1.amazonaws.com/churn",
		"12345678901a.dkr.ecr.us-east-1.amazonaws.com/churn",
		"١٢٣٤٥٦٧٨٩٠١٢.dkr.ecr.us-east-1.amazonaws.com/churn",
		"123456789012.DKR.ECR.US-EAST-1.AMAZONAWS.COM/churn",
		"123456789012.dkr.ecr.us-east-1.amazonaws.com./churn",
		"123456789012.dkr-ecr.us-east-1.on.aws/churn",
		"123456789012.dkr.ecr.us-east.amazonaws.com/churn",
		"123456789012.dkr.ecr..amazonaws.com/churn",
		"123456789012.dkr.ecr.us-east-1.amazonaws.cn/churn",
		"123456789012.dkr.ecr.us-east-1.amazonaws.com.cn/churn",
		"123456789012.dkr.ecr.cn-north-1.amazonaws.com/churn",
		"123456789012.dkr.ecr.fips.us-east-1.amazonaws.com/churn",
		"123456789012.dkr.ecr.us-east-1.amazonaws.com\\churn",
		"arn:aws:ecr:us-east-1:123456789012:repository/churn",
	}
	for _, uri := range invalid {
		if got, ok := inuse.Parse(uri); ok || got != (inuse.Image{}) {
			t.Errorf("Parse(%q): got %+v, %v; want not an ECR image URI", uri, got, ok)
		}
	}
}
