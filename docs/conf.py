"""Sphinx configuration: ``python -m sphinx -W -b html docs docs/_build/html``."""

import os
import sys

DOCS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(DOCS))  # the package, when it is not installed
sys.path.insert(0, DOCS)

import make_benchmarks  # noqa: E402

import sklearn_deepcluster  # noqa: E402

make_benchmarks.main()  # benchmarks.rst and its figure, from benchmarks/results/

project = "sklearn-deepcluster"
author = "sklearn-deepcluster developers"
copyright = "the sklearn-deepcluster developers, BSD-3-Clause"
version = release = sklearn_deepcluster.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "numpydoc",
]
nitpicky = False
autodoc_default_options = {"member-order": "bysource"}
numpydoc_show_class_members = False  # the API page lists the methods with autodoc
numpydoc_class_members_toctree = False
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
templates_path = []
html_theme = "alabaster"
html_static_path = ["_static"]
html_theme_options = {"description": "Deep clustering as scikit-learn estimators",
                      "page_width": "1100px"}


# ``.. docstring-notes:: sklearn_deepcluster.DDCClustering`` inserts the Notes
# section of that docstring (where every deviation from the paper is listed),
# so that the method pages can never disagree with the estimators.
import importlib  # noqa: E402

from docutils import nodes  # noqa: E402
from docutils.parsers.rst import Directive  # noqa: E402
from docutils.statemachine import StringList  # noqa: E402
from numpydoc.docscrape import NumpyDocString  # noqa: E402


class DocstringNotes(Directive):
    required_arguments = 1

    def run(self):
        module_name, _, name = self.arguments[0].rpartition(".")
        obj = getattr(importlib.import_module(module_name), name)
        notes = NumpyDocString(obj.__doc__ or "")["Notes"]
        if not notes:
            raise self.error(f"{self.arguments[0]} has no Notes section")
        container = nodes.container()
        self.state.nested_parse(StringList(notes, source=f"{self.arguments[0]}.__doc__"),
                                self.content_offset, container)
        return container.children


def setup(app):
    app.add_directive("docstring-notes", DocstringNotes)
