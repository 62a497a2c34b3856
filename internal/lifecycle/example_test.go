package lifecycle_test

import (
	"fmt"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
)

// ExampleEqual shows why drift detection compares by meaning: GetLifecyclePolicy returns the
// policy with other whitespace and key order, and a person has reworded the description. That
// is not drift; a different count is.
func ExampleEqual() {
	actual := `{
  "rules": [
    {
      "action": {"type": "expire"},
      "selection": {"countNumber": 10, "countType": "imageCountMoreThan", "tagStatus": "any"},
      "description": "reworded by a person",
      "rulePriority": 1
    }
  ]
}`
	same, err := lifecycle.Equal(lifecycle.Policy(10), actual)
	fmt.Println(same, err)

	same, _ = lifecycle.Equal(lifecycle.Policy(20), actual)
	fmt.Println(same)

	n, ok := lifecycle.Retention(actual)
	fmt.Println(n, ok)

	_, err = lifecycle.Equal(lifecycle.Policy(10), `{"rules":"x"}`)
	fmt.Println(err)
	// Output:
	// true <nil>
	// false
	// 10 true
	// actual lifecycle policy: rules is a string, not an array
}

// ExamplePolicy shows the text written to every managed repository.
func ExamplePolicy() {
	fmt.Println(lifecycle.Policy(10))
	// Output:
	// {"rules":[{"rulePriority":1,"description":"Expire images beyond the newest 10 (managed by sagemaker-ecr-provisioner)","selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":10},"action":{"type":"expire"}}]}
}
