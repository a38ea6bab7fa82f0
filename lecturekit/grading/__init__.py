"""Build student notebooks, and grade submissions in a sandbox against answers they cannot reach.

``build_student`` replaces every reference solution (between ``### BEGIN SOLUTION`` and
``### END SOLUTION``) with a stub that raises ``NotImplementedError`` and clears all outputs.

``grade`` treats each submission as hostile:

* **Answers out of reach.** The references and the held-out cases live in the repository's
  ``solutions/`` folder. This process computes the expected outputs; the submission only ever
  sees the inputs. Its functions run in a separate process (:mod:`lecturekit.exercises.sandbox`)
  that executes the notebook's import lines and its exercise cells, nothing else, calls each
  function on the public and the held-out cases, and hands back tensors. This process compares
  them. Nothing a cell monkeypatches can change a verdict. The package that process imports is a
  copy in which each function that computes an answer (an exercise's ``forbidden`` list) raises.
* **A sandbox that holds.** As root, the run happens in new mount, network, PID and IPC
  namespaces as the user ``nobody``. The real package, ``solutions/``, the solution notebooks,
  the repository's ``.git`` and every submission are covered by empty mounts. Every file system
  is read-only except the submission's private copy of its folder, which is deleted afterwards.
  HOME and TMPDIR point into that copy. There are limits on address space, file size, processes
  and CPU time, a per-cell limit (each exercise cell and each call) and a per-notebook limit.
  Without root, the same happens inside a user namespace, as the calling user.
* **Hidden tests.** Each exercise passes only if both its public cases (those ``check`` runs in
  the notebook) and its held-out cases pass. The score table shows both.

Exports for otter-grader and nbgrader are in :mod:`lecturekit.exercises.export`; their tests call
:func:`verify`, which runs the student's function, serialized by value, in the same sandbox.
"""

from .answers import SOLUTIONS, answer_key, encode_cases, load_solutions, refresh_answers
from .scores import GradeResult, grade, score_table, verify, write_csv
from .student import _strip_solutions, build_all, build_student, check_cells

__all__ = ["build_student", "build_all", "check_cells", "grade", "GradeResult", "score_table", "write_csv", "load_solutions", "answer_key", "refresh_answers", "verify", "SOLUTIONS"]
