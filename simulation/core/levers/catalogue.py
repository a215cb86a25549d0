"""The lever catalogue: every strategy lever as a small self-describing object.

A lever belongs to one of the four Ps, stands for a Toolkit objective, and moves exactly one named
decision modifier (``simulation/core/modifiers.py``) over its target cells, in proportion to its
intensity. The scenario schema, ``docs/levers.md`` and ``ocsim levers`` are all generated from
this registry, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from simulation.core.modifiers import MODIFIER_NAMES

Principle = Literal["prevent", "pursue", "protect", "promote"]
PRINCIPLES: tuple[Principle, ...] = ("prevent", "pursue", "protect", "promote")


@dataclass(frozen=True)
class Lever:
    name: str
    principle: Principle
    objective: str
    """The Toolkit objective it stands for (section 6, figures 9, 12, 13, 14)."""
    modifier: str
    """The decision modifier it moves."""
    effect: float
    """Change of the modifier at intensity 1: multipliers become ``1 + effect``, shifts ``effect``."""
    cost: float
    """k per month at intensity 1 over the whole population (scaled by the target's share)."""
    expect: str
    """The effects to expect, and why (including the second-order ones)."""

    def __post_init__(self) -> None:
        if self.modifier not in MODIFIER_NAMES:
            raise ValueError(f"lever {self.name}: unknown modifier {self.modifier}")


LEVERS: tuple[Lever, ...] = (
    # ----------------------------------------------------------------------------- PREVENT
    Lever(
        "recruitment_drivers",
        "prevent",
        "Address the drivers of recruitment: jobs, training and grants in at-risk areas (fig. 9)",
        "grievance_relief",
        0.5,
        400.0,
        "Grievance falls slowly as communities adapt, so fewer youths are at risk: recruitment "
        "slows and, with better prospects, young people ask more to join, so marginal turf stops "
        "paying and groups shrink. Membership falls over years and the gap outlasts the "
        "programme, because attitudes recover as slowly as they changed.",
    ),
    Lever(
        "institutional_integrity",
        "prevent",
        "Strengthen institutional integrity and resilience to corruption (fig. 9)",
        "official_detection",
        4.0,
        100.0,
        "Corrupt officials are caught more often and officials weigh a higher risk before taking "
        "bribes, so fewer officials protect groups and the same police effort arrests more.",
    ),
    Lever(
        "counter_narratives",
        "prevent",
        "Challenge the legitimacy and narratives of organized crime (fig. 9)",
        "legitimacy_shift",
        0.15,
        80.0,
        "Perceived OCG legitimacy falls, reporting rises and recruitment (which legitimacy drives) "
        "falls; slow, as attitudes adapt month by month.",
    ),
    Lever(
        "ways_out",
        "prevent",
        "Provide ways out: exit and reintegration programmes, lower recidivism (fig. 9)",
        "exit",
        2.0,
        150.0,
        "Members leave more often; groups recruit to replace them, so membership falls less than "
        "exits rise while recruitment (and its victims' share of youths) climbs.",
    ),
    Lever(
        "licit_economy_shielding",
        "prevent",
        "Shield the licit economy: due diligence against infiltration and laundering (fig. 9)",
        "extortion",
        -0.6,
        100.0,
        "Businesses can no longer be made to pay: extortion income and extortion victims fall; "
        "groups lean more on drug retail for revenue.",
    ),
    # ------------------------------------------------------------------------------ PURSUE
    Lever(
        "intelligence",
        "pursue",
        "Detect: intelligence-led policing and analysis (fig. 12)",
        "detection",
        0.8,
        200.0,
        "Each unit of effort detects more members; arrests rise, groups weigh higher risk in the "
        "policed cells and may shift away from them. Aimed at a zone, it also draws the "
        "intelligence-led officers of the precincts there into it, where they now catch more.",
    ),
    Lever(
        "hotspot_policing",
        "pursue",
        "Disrupt: crackdowns concentrating effort on hotspots (fig. 12)",
        "crackdown",
        1.0,
        300.0,
        "Police surge extra effort onto the target: arrests and seizures there rise; buying there "
        "costs more search time and risk, so buyers at its edge walk to the market places next "
        "door and those deeper inside buy less (street sales: partial displacement); smugglers "
        "price the risk into their routes and detour around it, so transit falls in the target "
        "and reappears in the cells around it — the balloon effect. Groups weigh the risk when "
        "they expand or retreat too, but a hotspot's retail margin usually outweighs it, so "
        "territory seldom changes hands. Only a crackdown on most of the corridors makes routes "
        "and entry points shift across the border, where the police cannot follow.",
    ),
    Lever(
        "leadership_targeting",
        "pursue",
        "Disrupt: target the leadership of criminal networks (kingpin strategy) (fig. 12)",
        "insulation",
        -1.0,
        250.0,
        "Leaders lose their insulation from detection and fall; succession crises cut cohesion, "
        "contenders fight and groups split, weakened groups invite rivals: violence rises for "
        "months before any gain.",
    ),
    Lever(
        "broad_arrests",
        "pursue",
        "Disrupt: high-volume arrests of street-level members (fig. 12)",
        "street_detection",
        1.0,
        300.0,
        "Arrests of soldiers rise; groups recruit replacements from youths at risk, so membership "
        "falls far less than arrests rise and prisons fill.",
    ),
    Lever(
        "interdiction",
        "pursue",
        "Deny: seize illicit goods on routes and at entry points (fig. 12)",
        "interdiction",
        2.0,
        250.0,
        "More consignments are seized; groups learn the loss rate and pass it on in the price, so "
        "revenue falls far less than the value seized; routes shift away from policed corridors.",
    ),
    Lever(
        "asset_confiscation",
        "pursue",
        "Deny: confiscate criminal assets (fig. 12)",
        "confiscation",
        2.0,
        100.0,
        "Convictions of senior members strip more of the group's assets (part funds victims' "
        "compensation); groups have less cash to recruit, bribe and fight.",
    ),
    Lever(
        "enabler_targeting",
        "pursue",
        "Deny: anti-money-laundering and financial investigation against enablers (fig. 11, 12)",
        "enabler_detection",
        3.0,
        120.0,
        "Launderers, transporters and forgers are disrupted more often: laundered money is "
        "exposed, shipments lose concealment and members their cover until new enablers enter.",
    ),
    # ----------------------------------------------------------------------------- PROTECT
    Lever(
        "victim_rescue",
        "protect",
        "Save: identify and rescue victims (fig. 13)",
        "identification",
        3.0,
        120.0,
        "Victims are identified sooner, exploitation income falls and more witnesses come "
        "forward, which raises convictions.",
    ),
    Lever(
        "victim_support",
        "protect",
        "Support: assistance and compensation for victims, funded in part by confiscated assets (fig. 13)",
        "support",
        2.0,
        150.0,
        "Identified victims enter support sooner, so fewer are harmed again and more recover.",
    ),
    Lever(
        "awareness",
        "protect",
        "Sustain: awareness campaigns reducing vulnerability to exploitation (fig. 13)",
        "exploitation",
        -0.4,
        60.0,
        "Fewer vulnerable people are drawn into exploitation; new victims fall where the campaign runs.",
    ),
    Lever(
        "witness_protection",
        "protect",
        "Support: protect witnesses so that victims testify (fig. 13)",
        "witness",
        2.0,
        80.0,
        "More rescued victims testify; convictions of the groups that harmed them rise.",
    ),
    Lever(
        "community_mediation",
        "protect",
        "Sustain: community mediation and violence interruption (fig. 13)",
        "fight_intensity",
        -0.5,
        80.0,
        "Contests escalate into fewer incidents, so violence and homicides fall where mediators "
        "work, without changing who holds which cell.",
    ),
    # ----------------------------------------------------------------------------- PROMOTE
    Lever(
        "interagency_taskforce",
        "promote",
        "Coordinate: inter-agency task forces joining police, prosecutors and financial units (fig. 14)",
        "conviction",
        0.5,
        150.0,
        "Cases are better built, so more arrests end in conviction (and, for seniors, in confiscation).",
    ),
    Lever(
        "international_cooperation",
        "promote",
        "Cooperate across borders: shared intelligence and extradition (fig. 14)",
        "cooperation",
        9.0,
        100.0,
        "Trails that cross the border become joint operations, so a leader abroad is no longer in "
        "a safe haven.",
    ),
    Lever(
        "public_private_partnership",
        "promote",
        "Partner with the private sector: reporting obligations on enablers' sectors (fig. 14)",
        "enabler_detection",
        1.5,
        60.0,
        "Banks, notaries and shippers report suspicious business, so enablers are disrupted more often.",
    ),
    Lever(
        "civil_society_partnership",
        "promote",
        "Partner with civil society and communities (fig. 14)",
        "trust_shift",
        0.15,
        60.0,
        "Trust in the state rises slowly, so communities report more, which sharpens detection.",
    ),
)

LEVERS_BY_NAME: dict[str, Lever] = {lever.name: lever for lever in LEVERS}


def levers_of(principle: Principle) -> tuple[Lever, ...]:
    return tuple(lever for lever in LEVERS if lever.principle == principle)
