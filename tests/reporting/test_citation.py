"""The paper's BibTeX entry in the report."""

from __future__ import annotations

import pytest

from repro.plugins.registry import get_paper
from repro.reporting.citation import bibtex, citation_key


def test_entry_built_from_paper_yaml() -> None:
    spec = get_paper("mnist1d").spec()
    entry = bibtex(spec)
    assert entry.startswith("@inproceedings{greydanus2024scaling,")
    assert "title = {{Scaling Down Deep Learning with MNIST-1D}}" in entry
    assert "author = {Sam Greydanus and Dmitry Kobak}" in entry
    assert "booktitle = {ICML 2024}" in entry and "year = {2024}" in entry
    assert entry.count("{") == entry.count("}")


def test_a_plugins_own_entry_is_used_verbatim() -> None:
    spec = get_paper("amsgrad").spec().model_copy(update={"bibtex": "@article{x, title={T}}\n"})
    assert bibtex(spec) == "@article{x, title={T}}"


def test_key_survives_accents_and_leading_articles() -> None:
    spec = (
        get_paper("mnist1d")
        .spec()
        .model_copy(update={"authors": ["Zoë Müller"], "title": "The Élan of Sets", "year": 2020})
    )
    assert citation_key(spec) == "muller2020elan"


def test_latex_special_characters_are_escaped_but_not_in_the_url() -> None:
    """`Tanh & ReLU` went into the entry as written; LaTeX stops at an unescaped
    `&`, and `%` comments out the rest of the line."""
    spec = (
        get_paper("mnist1d")
        .spec()
        .model_copy(
            update={
                "title": r"Tanh & ReLU: 100% of $x_1$ #1 {BERT} a\b",
                "authors": ["Ann & Co", "B_C Dee"],
                "venue": "Q&A Workshop",
                "paper_url": "https://example.org/a_b#c%20d",
            }
        )
    )
    entry = bibtex(spec)
    title = r"Tanh \& ReLU: 100\% of \$x\_1\$ \#1 {BERT} a\textbackslash{}b"
    assert "title = {{" + title + "}}" in entry
    assert r"author = {Ann \& Co and B\_C Dee}" in entry
    assert r"booktitle = {Q\&A Workshop}" in entry
    assert "url = {https://example.org/a_b#c%20d}" in entry


@pytest.mark.parametrize(
    ("title", "written"),
    [
        (
            "Attention in O(n^2) time, ~free",
            r"Attention in O(n\textasciicircum{}2) time, \textasciitilde{}free",
        ),
        ("Why } and { matter", "Why and matter"),
        ("A {BERT} and {GPT}", "A {BERT} and {GPT}"),
    ],
)
def test_carets_tildes_and_braces_out_of_order_do_not_break_the_entry(
    title: str, written: str
) -> None:
    """`^` (LaTeX: 'Missing $ inserted') and `~` (a non-breaking space) went in as
    written, and `} ... {` (as many of each, out of order) closed the title group early."""
    spec = get_paper("mnist1d").spec().model_copy(update={"title": title})
    assert "title = {{" + written + "}}" in bibtex(spec)
