package inuse

import (
	"regexp"
	"strings"
)

// Image is an Amazon ECR image URI, in parts.
type Image struct {
	// Registry is the registry's account id (12 digits), and Region its Region.
	Registry, Region string
	// Repository is the repository name; it may contain '/'.
	Repository string
	// Tag is the tag the URI names, empty when it names none.
	Tag string
	// Digest is the digest the URI names ("sha256:" and 64 lower-case hex digits), empty when
	// it names none. When both are named, the digest is the image: a registry pulls by
	// digest and only checks the tag's form.
	Digest string
}

var (
	// ecrHost is the host of a private ECR registry: the account, "dkr.ecr" (or the FIPS
	// "dkr.ecr-fips"), the Region, and "amazonaws.com" (".cn" in the China Regions).
	ecrHost = regexp.MustCompile(`^([0-9]{12})\.dkr\.ecr(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-[0-9]+)\.amazonaws\.com(\.cn)?$`)
	// repositoryName is ECR's repositoryName pattern.
	repositoryName = regexp.MustCompile(`^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$`)
	// tagName is a tag as an image reference may hold it.
	tagName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	// sha256Digest is the only digest ECR computes.
	sha256Digest = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)
)

// Parse reads an Amazon ECR image URI,
// <account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>[:<tag>][@sha256:<hex>] (also
// with the FIPS host dkr.ecr-fips). The URI is taken as SageMaker reports it, exactly: no
// scheme, port, user, upper case, spaces or escapes, a repository of 2 to 256 characters as
// ECR names them, a tag of at most 128 characters, and ".cn" exactly in the China Regions.
// A URI with neither tag nor digest is returned with both empty (a pull takes it as
// "latest"). Anything else, such as a Docker Hub image, an Amazon ECR Public alias or a
// malformed URI, is not an ECR image URI: ok is false.
func Parse(uri string) (img Image, ok bool) {
	host, path, found := strings.Cut(uri, "/")
	m := ecrHost.FindStringSubmatch(host)
	if !found || m == nil || (m[3] != "") != strings.HasPrefix(m[2], "cn-") {
		return Image{}, false
	}
	img = Image{Registry: m[1], Region: m[2]}
	if name, digest, found := strings.Cut(path, "@"); found {
		if !sha256Digest.MatchString(digest) {
			return Image{}, false
		}
		path, img.Digest = name, digest
	}
	// A repository name holds no ':', so the first one starts the tag.
	if name, tag, found := strings.Cut(path, ":"); found {
		if !tagName.MatchString(tag) {
			return Image{}, false
		}
		path, img.Tag = name, tag
	}
	if len(path) < 2 || len(path) > 256 || !repositoryName.MatchString(path) {
		return Image{}, false
	}
	img.Repository = path
	return img, true
}
