"""References and held-out cases of notebook 02 (exponential families)."""

from lecturekit import expfam
from lecturekit.exercises.expfam import bernoulli_cases, categorical_cases, legendre_cases


def bernoulli_log_partition_and_mean(theta):
    """(A(θ), μ(θ)) = (log(1 + e^θ), σ(θ)) for a vector θ (N,), each (N,)."""
    fam, t = expfam.Bernoulli(), theta.unsqueeze(-1)
    return fam.log_partition(t), fam.mean(t)[..., 0]


def categorical_conjugate(mu):
    """A*(μ) of the Categorical(K) family in minimal form, μ (N, K−1) -> (N,)."""
    return expfam.Categorical(mu.shape[-1] + 1).conjugate(mu)


REFERENCES = {"2.1": bernoulli_log_partition_and_mean, "2.2": categorical_conjugate, "2.3": expfam.conjugate}

HIDDEN = {
    "2.1": lambda: bernoulli_cases(seed=1200, sizes=(7, 64), scales=(1.0, 35.0), extremes=(-1e4, -700.0, 0.5, 710.0), zero=False),
    "2.2": lambda: categorical_cases(seed=1210, shapes=((3, 2, 2.0), (5, 6, 1.0), (4, 7, 8.0))),
    "2.3": lambda: legendre_cases((("Bernoulli", 0.5), ("Bernoulli", 0.05), ("Poisson", 1.0), ("Poisson", 9.0))),
}
