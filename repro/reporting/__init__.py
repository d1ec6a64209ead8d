"""`repro report`: turn a paper's run records into a reproduction report (Markdown, HTML, PDF).

build      records -> claims and sections -> figures -> files (the side effects)
aggregate  which config counts, per-claim numbers and verdicts (pure, repro.stats)
sections   hyperparameters, compute, unsuccessful runs, provenance (pure)
curves     training curves from the runs' CSV logs
figures    matplotlib figures (PNG; SVG for the PDF)
regenerate the `repro sweep` commands that recreate the chosen configs
notes      the user's notes.md, created once, never overwritten
render     jinja2 templates (templates/) with escaping; pdf: WeasyPrint
"""
