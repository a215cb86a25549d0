"""The trainers' browser dashboard (``ocsim dashboard``).

``session`` pairs a live run with its comparison run and takes strategy changes between months;
``figures`` draws the map; ``charts`` builds the live charts' Vega-Lite spec; ``app`` is the
Solara page (on Mesa's ``SolaraViz``); ``server`` starts it (on 127.0.0.1 unless told
otherwise); ``assets`` keeps Solara's front-end files on disk for machines without internet
access. Only ``session``, ``figures`` and ``charts`` are imported by tests that do not need a
browser.
"""
