"""Infrastructure: the CloudFormation merge template and its generator (`python -m infra.package`)."""
