"""Course autograder: handouts, autograder zips, sandboxed grading. See README.md beside this
file for the module map (layers, who imports whom, trusted, child and student sides).

Kept free of imports: the sandboxed child imports ``grader.cases`` from a copy of this
package, and must not pull in anything else.
"""
