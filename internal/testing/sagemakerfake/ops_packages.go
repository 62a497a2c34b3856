package sagemakerfake

import (
	"slices"
	"strconv"
	"strings"
)

// Wire shapes of the model registry calls, field names as in the SageMaker API model.

type modelPackageGroupSummary struct {
	ModelPackageGroupName   string
	ModelPackageGroupArn    string
	CreationTime            float64
	ModelPackageGroupStatus string
}

type listModelPackageGroupsOutput struct {
	ModelPackageGroupSummaryList []modelPackageGroupSummary
	NextToken                    *string `json:",omitempty"`
}

type modelPackageSummary struct {
	ModelPackageName      string
	ModelPackageGroupName string
	ModelPackageVersion   int
	ModelPackageArn       string
	CreationTime          float64
	ModelPackageStatus    string
	ModelApprovalStatus   string
}

type listModelPackagesOutput struct {
	ModelPackageSummaryList []modelPackageSummary
	NextToken               *string `json:",omitempty"`
}

type modelPackageContainer struct {
	Image string `json:",omitempty"`
}

type inferenceSpecification struct {
	Containers []modelPackageContainer
}

type modelPackageStatusDetails struct {
	ValidationStatuses []struct{}
}

// describeModelPackageOutput has the summary's members and what only Describe returns.
type describeModelPackageOutput struct {
	modelPackageSummary
	ModelPackageStatusDetails modelPackageStatusDetails
	InferenceSpecification    *inferenceSpecification `json:",omitempty"`
	LastModifiedTime          float64
}

var (
	groupListing   = listing{sortBy: nameTime, order: ascDesc}
	packageListing = listing{sortBy: nameTime, order: ascDesc}
	approvals      = []string{"Approved", "Rejected", "PendingManualApproval"}
)

// listModelPackageGroups answers ListModelPackageGroups, for the groups of this account.
func (s *Server) listModelPackageGroups(body []byte) (any, *apiError) {
	var in listInput
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	var rows []row[modelPackageGroupSummary]
	for _, g := range s.inv.groups {
		rows = append(rows, row[modelPackageGroupSummary]{name: g.name, created: g.created,
			item: modelPackageGroupSummary{ModelPackageGroupName: g.name, ModelPackageGroupArn: g.arn,
				CreationTime: epochSeconds(g.created), ModelPackageGroupStatus: "Completed"}})
	}
	s.mu.Unlock()
	items, next, err := list(&in, groupListing, rows)
	if err != nil {
		return nil, err
	}
	return listModelPackageGroupsOutput{ModelPackageGroupSummaryList: items, NextToken: next}, nil
}

// listModelPackages answers ListModelPackages with its ModelPackageGroupName (compared
// without case; an unknown group lists nothing), ModelApprovalStatus and ModelPackageType
// filters. Every package here is a version of a group: with no ModelPackageType, SageMaker
// lists the versions of the group named, and with no group only unversioned packages, so none.
func (s *Server) listModelPackages(body []byte) (any, *apiError) {
	var in listInput
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	if in.ModelApprovalStatus != "" && !slices.Contains(approvals, in.ModelApprovalStatus) {
		return nil, enumError(in.ModelApprovalStatus, "modelApprovalStatus", strings.Join(approvals, ", "))
	}
	versioned := in.ModelPackageGroupName != nil
	switch in.ModelPackageType {
	case "":
	case "Versioned", "Both":
		versioned = true
	case "Unversioned":
		versioned = false
	default:
		return nil, enumError(in.ModelPackageType, "modelPackageType", "Versioned, Unversioned, Both")
	}
	s.mu.Lock()
	var rows []row[modelPackageSummary]
	for key, g := range s.inv.groups {
		if !versioned || in.ModelPackageGroupName != nil && key != strings.ToLower(*in.ModelPackageGroupName) {
			continue
		}
		for _, p := range g.packages {
			if in.ModelApprovalStatus != "" && p.Approval != in.ModelApprovalStatus {
				continue
			}
			rows = append(rows, row[modelPackageSummary]{name: g.name, seq: p.Version, created: p.created,
				item: packageSummary(g, p)})
		}
	}
	s.mu.Unlock()
	items, next, err := list(&in, packageListing, rows)
	if err != nil {
		return nil, err
	}
	return listModelPackagesOutput{ModelPackageSummaryList: items, NextToken: next}, nil
}

func packageSummary(g *packageGroup, p *modelPackage) modelPackageSummary {
	return modelPackageSummary{
		ModelPackageName:      g.name,
		ModelPackageGroupName: g.name,
		ModelPackageVersion:   p.Version,
		ModelPackageArn:       p.arn,
		CreationTime:          epochSeconds(p.created),
		ModelPackageStatus:    p.Status,
		ModelApprovalStatus:   p.Approval,
	}
}

// describeModelPackage answers DescribeModelPackage. A version is named by its ARN; a plain
// name names an unversioned package, of which there are none here. An unknown package is a
// ValidationException, as SageMaker answers.
func (s *Server) describeModelPackage(body []byte) (any, *apiError) {
	var in struct{ ModelPackageName *string }
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	if err := requireName(in.ModelPackageName, "modelPackageName"); err != nil {
		return nil, err
	}
	name := *in.ModelPackageName
	s.mu.Lock()
	defer s.mu.Unlock()
	g, p := s.packageByARN(name)
	if p == nil {
		if !strings.HasPrefix(name, "arn:") {
			name = s.arn("model-package", name)
		}
		return nil, validationError("ModelPackage %s does not exist.", name)
	}
	out := describeModelPackageOutput{
		modelPackageSummary:       packageSummary(g, p),
		ModelPackageStatusDetails: modelPackageStatusDetails{ValidationStatuses: []struct{}{}},
		LastModifiedTime:          epochSeconds(p.created),
	}
	if len(p.Images) > 0 {
		spec := &inferenceSpecification{}
		for _, image := range p.Images {
			spec.Containers = append(spec.Containers, modelPackageContainer{Image: image})
		}
		out.InferenceSpecification = spec
	}
	return out, nil
}

// packageByARN finds a model package version by its exact ARN
// (…:model-package/<group lower-cased>/<version>). The caller holds s.mu.
func (s *Server) packageByARN(arn string) (*packageGroup, *modelPackage) {
	rest, ok := strings.CutPrefix(arn, s.arn("model-package", ""))
	if !ok {
		return nil, nil
	}
	group, version, ok := strings.Cut(rest, "/")
	n, err := strconv.Atoi(version)
	if !ok || err != nil || strconv.Itoa(n) != version {
		return nil, nil
	}
	for name, g := range s.inv.groups { // the ARN holds the group's name lower-cased
		if strings.ToLower(name) == group && g.packages[n] != nil {
			return g, g.packages[n]
		}
	}
	return nil, nil
}
