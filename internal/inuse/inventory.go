package inuse

import (
	"maps"
	"slices"
)

// LatestTag is the tag an image URI with neither tag nor digest is pulled by.
const LatestTag = "latest"

// Inventory is what SageMaker uses of the managed repositories of one registry: by
// repository, the images in use, by digest and by tag, and what uses each. Build it with
// Collect.
type Inventory struct {
	// Registry is the registry's account id, and Region its Region.
	Registry, Region string
	// Repos holds, by repository name, what is in use of each repository that has anything
	// in use.
	Repos map[string]Repository
	// Ignored counts the references that name no managed repository of the registry.
	Ignored Ignored
}

// Repository is what is in use of one repository. A reference that names a digest counts under
// its digest only (its tag, if any, is not looked at); one that names only a tag counts under
// its tag, which the caller resolves to a digest through ECR. Each list of uses is sorted
// (Use.Compare) and without duplicates.
type Repository struct {
	// Digests holds the uses of each digest named.
	Digests map[string][]Use
	// Tags holds the uses of each tag named (LatestTag for a URI naming neither tag nor
	// digest).
	Tags map[string][]Use
}

// Ignored counts references that are not to a managed repository of the registry, each in
// the first way it is not.
type Ignored struct {
	// NotECR is references that are not an ECR image URI (see Parse).
	NotECR int
	// OtherRegistry is references to another account's registry.
	OtherRegistry int
	// OtherRegion is references to this account's registry in another Region.
	OtherRegion int
	// Unmanaged is references to a repository of the registry that is not managed.
	Unmanaged int
}

// Total is the number of references ignored.
func (i Ignored) Total() int {
	return i.NotECR + i.OtherRegistry + i.OtherRegion + i.Unmanaged
}

// Collect keeps, of refs, those that name a managed repository of the registry (account id)
// in region; managed says whether a repository is managed, nil meaning every one is. The
// others are counted in Ignored, once a reference.
func Collect(refs []Reference, registry, region string, managed func(repository string) bool) Inventory {
	inv := Inventory{Registry: registry, Region: region, Repos: map[string]Repository{}}
	for _, ref := range refs {
		img, ok := Parse(ref.Image)
		switch {
		case !ok:
			inv.Ignored.NotECR++
		case img.Registry != registry:
			inv.Ignored.OtherRegistry++
		case img.Region != region:
			inv.Ignored.OtherRegion++
		case managed != nil && !managed(img.Repository):
			inv.Ignored.Unmanaged++
		default:
			repo, ok := inv.Repos[img.Repository]
			if !ok {
				repo = Repository{Digests: map[string][]Use{}, Tags: map[string][]Use{}}
				inv.Repos[img.Repository] = repo
			}
			switch {
			case img.Digest != "":
				repo.Digests[img.Digest] = append(repo.Digests[img.Digest], ref.Use)
			case img.Tag != "":
				repo.Tags[img.Tag] = append(repo.Tags[img.Tag], ref.Use)
			default:
				repo.Tags[LatestTag] = append(repo.Tags[LatestTag], ref.Use)
			}
		}
	}
	for _, repo := range inv.Repos {
		for _, m := range []map[string][]Use{repo.Digests, repo.Tags} {
			for k, uses := range m {
				slices.SortFunc(uses, Use.Compare)
				m[k] = slices.Compact(uses)
			}
		}
	}
	return inv
}

// Repositories is the names of the repositories with something in use, sorted.
func (inv Inventory) Repositories() []string {
	return slices.Sorted(maps.Keys(inv.Repos))
}

// Digests is the digests in use in the repository, sorted.
func (inv Inventory) Digests(repository string) []string {
	return slices.Sorted(maps.Keys(inv.Repos[repository].Digests))
}

// Tags is the tags in use in the repository (to be resolved to digests), sorted.
func (inv Inventory) Tags(repository string) []string {
	return slices.Sorted(maps.Keys(inv.Repos[repository].Tags))
}

// Uses is what uses the image of the repository named by ref, a digest ("sha256:...") or a
// tag; nil when nothing does.
func (inv Inventory) Uses(repository, ref string) []Use {
	repo := inv.Repos[repository]
	if uses, ok := repo.Digests[ref]; ok {
		return uses
	}
	return repo.Tags[ref]
}

// Len is the number of images in use: digests and tags, over every repository.
func (inv Inventory) Len() int {
	n := 0
	for _, repo := range inv.Repos {
		n += len(repo.Digests) + len(repo.Tags)
	}
	return n
}
