"""The benchmark: `python -m bench` (or `make bench`).

Prints, and writes to build/bench.json:
  1. cold start: median import time of `app` against a bare
     `import boto3, chalice, pynamodb.models` (goal: within 1.25x), and the
     modules that cost the most to import;
  2. the Lambda package: zip and unzipped size, biggest packages inside;
  3. DynamoDB API calls per request (no Scan allowed on a request path) and
     latencies on DynamoDB Local.
Exit status: 0 when all is well, 1 when a request path does a Scan, a request
fails or the package is over Lambda's limits, 2 when a section could not run.
"""
