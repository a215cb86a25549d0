"""Priors and perturbation kernels for pyabc, built from a calibration's parameters.

Continuous settings: uniform, log-uniform or normal truncated to the setting's bounds (scipy
distributions wrapped in ``pyabc.RV``), perturbed together by one multivariate normal kernel.
Whole-number settings: the same shapes on the integers (uniform: each integer equally likely;
log-uniform and normal: the mass of the continuous density on [k, k + 1) resp. [k - 1/2, k + 1/2)),
each perturbed by pyabc's discrete jump kernel. pyabc sees parameters as ``p0, p1, ...`` (its
parameter structure reads dots as nesting); ``names`` maps them back to dotted paths.
"""

from __future__ import annotations

import math

import numpy as np
import pyabc
from scipy import stats

from simulation.calibration.loader import MAX_DISCRETE_VALUES, Parameter

NORMAL_REACH = 8.0
"""A discrete normal prior without a bound on one side is cut this many sd from its mean."""
P_STAY = 0.7
"""Chance the discrete kernel keeps a whole-number value instead of jumping to another one."""


def internal_names(parameters: list[Parameter]) -> dict[str, str]:
    """pyabc name -> dotted path."""
    return {f"p{i}": p.path for i, p in enumerate(parameters)}


def _truncation(parameter: Parameter) -> tuple[float, float]:
    return parameter.bounds.low, parameter.bounds.high


def continuous_rv(parameter: Parameter) -> pyabc.RV:
    prior = parameter.prior
    if prior.kind == "uniform":
        return pyabc.RV("uniform", prior.low, prior.high - prior.low)  # type: ignore[operator]
    if prior.kind == "loguniform":
        return pyabc.RV("loguniform", prior.low, prior.high)
    low, high = _truncation(parameter)
    a, b = (low - prior.mean) / prior.sd, (high - prior.mean) / prior.sd  # type: ignore[operator]
    return pyabc.RV("truncnorm", a, b, loc=prior.mean, scale=prior.sd)


def integer_domain(parameter: Parameter) -> np.ndarray:
    prior = parameter.prior
    if prior.kind != "normal":
        return np.arange(int(prior.low), int(prior.high) + 1)  # type: ignore[arg-type]
    low, high = _truncation(parameter)
    reach = NORMAL_REACH * prior.sd  # type: ignore[operator]
    first = max(math.ceil(low + (1 if parameter.bounds.low_open else 0)), math.floor(prior.mean - reach))  # type: ignore[operator]
    last = min(math.floor(high - (1 if parameter.bounds.high_open else 0)), math.ceil(prior.mean + reach))  # type: ignore[operator]
    last = min(last, first + MAX_DISCRETE_VALUES - 1)
    return np.arange(first, last + 1)


def integer_rv(parameter: Parameter) -> pyabc.RV:
    prior = parameter.prior
    domain = integer_domain(parameter)
    if prior.kind == "uniform":
        return pyabc.RV("randint", int(domain[0]), int(domain[-1]) + 1)
    if prior.kind == "loguniform":
        mass = np.log((domain + 1.0) / domain)
    else:
        cdf = stats.norm(prior.mean, prior.sd).cdf
        mass = cdf(domain + 0.5) - cdf(domain - 0.5)
    mass = mass / mass.sum()
    return pyabc.RV("rv_discrete", values=(domain, mass))


def build_prior(parameters: list[Parameter]) -> pyabc.Distribution:
    return pyabc.Distribution(
        **{
            name: integer_rv(p) if p.integer else continuous_rv(p)
            for name, p in zip(internal_names(parameters), parameters, strict=True)
        }
    )


def build_transition(parameters: list[Parameter]) -> pyabc.transition.Transition:
    names = list(internal_names(parameters))
    continuous = tuple(n for n, p in zip(names, parameters, strict=True) if not p.integer)
    discrete = [(n, p) for n, p in zip(names, parameters, strict=True) if p.integer]
    if not discrete:
        return pyabc.MultivariateNormalTransition()
    mapping: dict = {
        n: pyabc.DiscreteJumpTransition(domain=integer_domain(p), p_stay=P_STAY) for n, p in discrete
    }
    if continuous:
        mapping[continuous] = pyabc.MultivariateNormalTransition()
    return pyabc.AggregatedTransition(mapping=mapping)
