"""Course autograder: handouts, autograder zips, sandboxed grading. See DESIGN.md.

Kept free of imports: the sandboxed child imports ``grader.cases`` from a copy of this
package, and must not pull in anything else.
"""
