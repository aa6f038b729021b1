"""Hypothesis profiles (DESIGN.md "Tests"): `ci` is the default under CI=true, `dev` explores more.

Select one with HYPOTHESIS_PROFILE=dev; without CI or a choice, `default` is a quick local run.
The evidence cache of the CLI goes to a fresh folder, so no test reads a user's cached outcomes.
"""

import os
import tempfile

from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True,
                          max_examples=40, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, max_examples=300,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("default", deadline=None, max_examples=25,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE")
                      or ("ci" if os.environ.get("CI", "").lower() in ("1", "true") else "default"))

os.environ["NATSPARSE_CACHE_DIR"] = tempfile.mkdtemp(prefix="natsparse-test-cache-")
