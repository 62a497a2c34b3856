// Package scale measures DriftFunction's sweep at the scale ECR allows, 100,000 managed
// repositories in a Region: the real drift bootstrap under aws-lambda-rie, with the memory
// limit the template gives it, against moto_server behind a pager that answers
// DescribeRepositories a page at a time as ECR does (internal/testing/ecrpager). It holds
// benchmarks only; docs/benchmarks.md has their results and the commands.
package scale
