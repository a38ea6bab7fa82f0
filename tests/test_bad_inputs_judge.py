"""Bad inputs to lecturekit.judge (the digit judge that scores generated images): every check runs before the judge
is loaded or trained."""

from __future__ import annotations

import torch

from lecturekit import judge
from tests.support.bad_inputs import (AS_LIST, AS_NUMPY, DOUBLE, EMPTY, GENERATOR, HUGE_COUNT, NAN, ON_META,
                                      POSITIVE_FLOAT, POSITIVE_INT, PROBABILITY, PROGRESS, SCALED_255, TENSOR, Table, bad,
                                      call, derived)

T = Table("judge", ["lecturekit.judge"])
X = torch.rand(4, 1, 28, 28)
Y = torch.tensor([0, 3, 9, 1])
IMAGES_BAD = [AS_LIST, AS_NUMPY, NAN, EMPTY, DOUBLE, ON_META, derived(lambda t: t[:, :, :14, :14], ValueError, "14x14"),
              derived(lambda t: t[:, 0], ValueError, "no-channel")]


def tiny() -> judge.DigitJudge:
    return judge.DigitJudge(channels=2, feature_dim=4)


T.add("judge.DigitJudge", lambda: call(judge.DigitJudge, channels=2, feature_dim=4),
      channels=POSITIVE_INT, feature_dim=POSITIVE_INT[:3])
for method in ("features", "logits", "forward"):
    T.add(f"judge.DigitJudge.{method}", lambda method=method: call(getattr(tiny(), method), X), x=IMAGES_BAD)
T.add("judge.fit_judge", lambda: call(judge.fit_judge, tiny(), X, Y, num_epochs=1, batch_size=2, progress=False),
      model=[bad(torch.nn.Linear(2, 2), TypeError), bad(None, TypeError)], x=IMAGES_BAD[:4] + [SCALED_255],
      y=[AS_LIST, derived(lambda t: t + 10, ValueError, "label-10"), derived(lambda t: t.float(), TypeError, "float"),
         derived(lambda t: t[:2], ValueError, "short"), ON_META],
      num_epochs=POSITIVE_INT[:3] + [HUGE_COUNT], batch_size=POSITIVE_INT[:3], lr=POSITIVE_FLOAT[:3],
      max_shift=[bad(-1), bad(20), bad(1.5, TypeError)], generator=GENERATOR[:1], progress=PROGRESS[:1])
T.add("judge.load_judge", lambda: call(judge.load_judge, "cpu"), _run_good=False,  # trains the judge on first use
      device=[bad("gpu0"), bad(3, TypeError), bad(None, TypeError), bad("nope:1"), bad(["cpu"], TypeError)])
T.add("judge.DigitScores", lambda: call(judge.DigitScores, 3.0, 10.0, (1,) * 10, 10, torch.zeros(10, dtype=torch.long)),
      inception_score=[bad(float("nan")), bad("3", ValueError, "string")], frechet_distance=[bad(float("inf"))],
      class_counts=[bad((1,) * 9), bad([1] * 10), bad((-1,) + (1,) * 9)], classes_hit=[bad(11), bad(2.0, TypeError)],
      labels=[bad([0, 1], TypeError)])
T.add("judge.digit_scores", lambda: call(judge.digit_scores, X), _run_good=False,  # loads (or trains) the judge
      images=IMAGES_BAD[:4] + [SCALED_255, derived(lambda t: t[:1], ValueError, "one-image")],
      min_share=PROBABILITY)
T.add("judge.frechet_distance", lambda: call(judge.frechet_distance, torch.randn(5, 3), torch.randn(6, 3)),
      a=TENSOR + [derived(lambda t: t[:1], ValueError, "one-row"), derived(lambda t: t[0], ValueError, "1-D")],
      b=[derived(lambda t: t[:, :2], ValueError, "fewer-features"), NAN, ON_META])
T.add("judge.inception_score", lambda: call(judge.inception_score, torch.softmax(torch.randn(5, 10), 1)),
      probs=TENSOR + [derived(lambda t: t * 2, ValueError, "rows-sum-2"), derived(lambda t: t.log(), ValueError, "logits"),
                      derived(lambda t: t[0], ValueError, "1-D"), derived(lambda t: (t > 0.5).long(), TypeError, "int")])
T.add("judge.reference_scores", lambda: call(judge.reference_scores, 10), _run_good=False,  # loads the judge
      n=[bad(0), bad(1), bad(10**6), bad(2.5, TypeError), bad("10", TypeError)])

T.install(globals())
