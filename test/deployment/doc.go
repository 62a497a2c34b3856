// Package deployment checks template.yaml, the product's deployment, as data: the SAM
// template is read with CloudFormation's short tags (!Sub, !Ref, ...) as their long forms, and
// the checks pin what the rest of the product relies on. Each file checks one thing:
// least-privilege IAM (iam_test.go) and that each function calls exactly what it is granted
// (privilege_test.go, against moto), the parameters and the SSM configuration they seed, how
// the functions are built and run, the event rules against the sample events, and the
// dead-letter queue, logs, alarms and outputs.
package deployment
