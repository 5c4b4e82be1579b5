"""The course's staff library: what every assignment's training code shares.

Shipped like the grader: every handout and autograder zip carries a copy next to the
assignment's package. Being written (issue 11); modules: config, download, run, distributed.
"""
