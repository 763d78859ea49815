"""Mining the unknown: the failures no rule explains, as templates and draft rules.

    _templates.py  message -> shape (variables masked) -> templates (Drain-like clustering);
                   pure and light: `classify --summary` groups its unmatched messages with it
    _miner.py      a log's records -> the templates of those the rules do not explain, with
                   counts, locations, examples and shared conditions, in bounded memory
    _pattern.py    a template -> the anchored, bounded RE2 regex of its draft
    _draft.py      templates -> draft rules: conditions, knowledge from the wording tier,
                   examples, a neighbour's counter-example
    _file.py       drafts -> the rule file `rules mine` writes, checked as `rules test` would

Nothing is imported here, so that importing _templates stays cheap.
"""
