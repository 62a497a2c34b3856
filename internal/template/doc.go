// Package template holds the checks on template.yaml, the deployment of the product.
//
// The checks read the SAM template as data (gopkg.in/yaml.v3, with CloudFormation's short
// tags such as !Sub and !Ref read as their long forms) and pin what the rest of the product
// relies on: least-privilege IAM, the function build settings, the environment contract,
// the SSM configuration names, the event rules, the dead-letter queue, logs and alarms.
package template
