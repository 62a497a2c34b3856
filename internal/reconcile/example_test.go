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
// ECR holds that names every difference, and only then any call.
func ExamplePlan() {
	cfg, _ := config.Parse("/sagemaker-platform/ecr", map[string]string{"/sagemaker-platform/ecr/company": "acme"})
	desired, _ := reconcile.ProjectRepositories(cfg, projects.Project{Name: "Churn-Model", Team: "data-science"})
	for _, d := range desired {
		fmt.Println(d.Name, d.Retention())
	}

	// Someone set the training repository's retention to 30 and made its tags immutable by hand.
	training := desired[1]
	observed := &registry.Repository{
		Summary:   registry.Summary{Name: training.Name, Mutability: registry.Mutability{Mode: "IMMUTABLE"}, Encryption: registry.Encryption{Type: "AES256"}},
		Tags:      registry.Known(training.Tags),
		Lifecycle: registry.Known(registry.Document{Text: lifecycle.Policy(30), Exists: true}),
	}
	step := reconcile.Plan(training, observed)
	for _, d := range step.Differences {
		fmt.Printf("%s %s: want %s, found %s\n", d.Setting, d.Path, d.Expected, d.Found)
	}
	for _, w := range step.Writes {
		fmt.Println("writes", w)
	}
	// Output:
	// acme-sm-data-science-churn-model/preprocessing 10
	// acme-sm-data-science-churn-model/training 10
	// acme-sm-data-science-churn-model/inference 10
	// lifecycle-policy rules[0].selection.countNumber: want 10, found 30
	// tag-mutability imageTagMutability: want MUTABLE, found IMMUTABLE
	// writes PutLifecyclePolicy
	// writes PutImageTagMutability MUTABLE
}
