"""A stand-in worker for tests/test_distributed.py: ``python -m tests.worker_fixture MODE``.

MODE ok: every worker prints its TF_CONFIG index and exits 0; dies: worker 1 exits 3 at once
while worker 0 waits forever (as a real worker would, blocked in an all-reduce)."""

import json
import os
import sys
import time

index = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
assert int(os.environ["COURSE_WORKER"]) == index
print(f"worker {index} of {len(json.loads(os.environ['TF_CONFIG'])['cluster']['worker'])}", flush=True)
if sys.argv[1] == "dies":
    if index == 1:
        sys.exit(3)
    time.sleep(600)
