"""The group project kit: rubric, templates, report checker, experiment starter and grading sheet."""
