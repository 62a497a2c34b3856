package reconcile_test

import (
	"fmt"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/projects"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/reconcile"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
)

// The engine's core is pure: desired repositories from the configuration, a plan against what
// ECR holds, and only then any call.
func ExamplePlan() {
	cfg, _ := config.Parse("/sagemaker-platform/ecr", map[string]string{"/sagemaker-platform/ecr/company": "acme"})
	desired, _ := reconcile.ProjectRepositories(cfg, projects.Project{Name: "Churn-Model", Team: "data-science"})
	for _, d := range desired {
		fmt.Println(d.Name, d.Retention)
	}

	// Someone set the training repository's retention to 30 by hand.
	observed := &registry.Repository{Name: desired[1].Name, Tags: desired[1].Settings.Tags, Policy: lifecycle.Policy(30), HasPolicy: true}
	step := reconcile.Plan(desired[1], observed, true)
	fmt.Println(step.Changes())
	// Output:
	// acme-sm-data-science-churn-model/preprocessing 10
	// acme-sm-data-science-churn-model/training 10
	// acme-sm-data-science-churn-model/inference 10
	// [lifecycle policy different: written]
}
