"""A strategy's theory of success put to the test: claims judged, assumptions challenged."""

from simulation.theory.setup import ClaimSetup, claim_setup
from simulation.theory.verdicts import ClaimTest, judge_all, run_claim_test

__all__ = ["ClaimSetup", "ClaimTest", "claim_setup", "judge_all", "run_claim_test"]
