"""Review quality assurance: verified reviews, automatic checks, QA queue, comments,
reports (disputes) and re-verification by sample."""
