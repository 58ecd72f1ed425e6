"""Suggested matches for 5,000 customers against 20,000 organizations, against difflib on a sample.

Run alone with `python -m bench.matching` (or through `python -m bench`). Names come from a fixed
seed: organizations from surnames, places, words and trades with legal suffixes, no two alike once
case, punctuation and legal suffix are set aside; customers are 30% exact copies, 50% variants a
person would call the same organization (case, accents, "&"/"and", swapped partners, another
legal suffix, a doubled or dropped letter) and 20% names no organization has.
"""

from __future__ import annotations

import difflib
import os
import random
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

from bench import table
from chalicelib.matching import CustomerSuggestions, OrganizationIndex, suggest_matches
from chalicelib.matching.names import suggestion_key
from chalicelib.matching.scoring import compare_forms
from chalicelib.matching.suggestions import ALTERNATIVE_FLOOR

SEED = 20_260_105
CUSTOMERS = 5_000
ORGANIZATIONS = 20_000
DIFFLIB_SAMPLE = 20
RUNS = 5
TARGET_SECONDS = 2.0
TARGET_SPEEDUP = 100.0

SURNAMES = (
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans Walker "
    "White Roberts Green Hall Wood Jackson Clarke Patel Khan Lewis James Phillips Mason Rose "
    "Davis Rodriguez Cox Alexander Morgan Moore Martin Price Lee Young Allen King Hughes Scott "
    "Anderson Harris Clark Baker Turner Parker Collins Edwards Stewart Morris Murphy Cook Rogers "
    "Reed Bailey Bell Cooper Richardson Howard Ward Torres Peterson Gray Ramirez Watson Brooks "
    "Kelly Sanders Bennett Wood Barnes Ross Henderson Coleman Jenkins Perry Powell Long Patterson "
    "Müller Schröder García Núñez Peña Brontë Søren Østergaard Dvořák Łukasz Beaulieu Lefèvre "
    "Gómez Hernández Jiménez Krüger Ångström Çelik Yılmaz Novák Horváth Kovač Fischer Weber Wagner "
    "Becker Schulz Hoffmann Koch Richter Klein Wolf Neumann Schwarz Zimmermann Braun Hartmann"
).split()
PLACES = (
    "Riverside Lakeside Hillcrest Oakwood Maple Cedar Pine Ridge Summit Valley Harbor Bayview "
    "Northgate Southfield Westbrook Eastwood Fairview Greenfield Springfield Brookside Meadowbrook "
    "Stonebridge Clearwater Silver Lake Highland Parkside Willow Creek Sunset Redwood Ironwood "
    "Granite Coastal Prairie Canyon Aspen Birchwood Elmwood Foxhill Glenwood Kingston Lincoln "
    "Madison Franklin Jefferson Hamilton Cambridge Oxford Windsor Bristol Dover Chester Essex"
).split()
WORDS = (
    "Blue Red Golden Bright Swift True Prime Apex Summit Pioneer Liberty Heritage Evergreen "
    "Keystone Cornerstone Beacon Anchor Compass Horizon Pinnacle Sterling Noble Vital Clear North "
    "South East West Star Sky Sun Moon River Ocean Mountain Forest Eagle Falcon Lion Bear Wolf "
    "Oak Maple Cedar Granite Crystal Diamond Emerald Silver Copper Iron Stone Harbor Bridge Gate"
).split()
TRADES = (
    "Dental|Legal|Law Group|Plumbing|Roofing|Accounting|Consulting|Bakery|Veterinary Clinic|"
    "Insurance|Realty|Logistics|Engineering|Pharmacy|Design Studio|Architects|Construction|"
    "Electric|Landscaping|Auto Repair|Family Medicine|Physical Therapy|Chiropractic|Dentistry|"
    "Financial Advisors|Wealth Management|Marketing|IT Services|Software|Manufacturing|Printing|"
    "Catering|Fitness|Eye Care|Pediatrics|Orthodontics|Hospitality|Properties|Holdings|Partners"
).split("|")
# Four entries in 22 are no legal suffix at all.
SUFFIXES = (
    "||||Inc.|Inc|LLC|L.L.C.|Ltd|Ltd.|Limited|GmbH|Corp.|Corporation|Co.|& Co.|PLC|LLP|"
    "Pty Ltd|S.A.|AG|BV"
).split("|")


@dataclass(frozen=True)
class Workload:
    """Generated names and which organization each planted customer should be suggested."""

    customers: dict[str, str]
    organizations: dict[str, str]
    planted: dict[str, str]
    """customer id -> organization id for customers that are a variant of an organization."""


def generate(seed: int = SEED) -> Workload:
    """Deterministic organizations (distinct names) and customers derived from them."""
    rng = random.Random(seed)
    keys: set[str] = set()
    organizations: dict[str, str] = {}
    while len(organizations) < ORGANIZATIONS:
        name = _organization_name(rng)
        if suggestion_key(name) not in keys:
            keys.add(suggestion_key(name))
            organizations[f"org-{len(organizations):05d}"] = name
    organization_ids = list(organizations)
    customers: dict[str, str] = {}
    planted: dict[str, str] = {}
    while len(customers) < CUSTOMERS:
        customer_id = f"cust-{len(customers):05d}"
        draw = rng.random()
        organization_id = rng.choice(organization_ids)
        if draw < 0.3:
            customers[customer_id] = organizations[organization_id]
        elif draw < 0.8:
            customers[customer_id] = _variant(rng, organizations[organization_id])
            planted[customer_id] = organization_id
        else:
            name = _organization_name(rng)
            if suggestion_key(name) not in keys:
                customers[customer_id] = name
    return Workload(customers, organizations, planted)


def _organization_name(rng: random.Random) -> str:
    """A plausible small-business name with an optional legal suffix."""
    shape = rng.random()
    if shape < 0.25:
        stem = f"{rng.choice(SURNAMES)} & {rng.choice(SURNAMES)} {rng.choice(TRADES)}"
    elif shape < 0.5:
        stem = f"{rng.choice(PLACES)} {rng.choice(TRADES)}"
    elif shape < 0.75:
        stem = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(TRADES)}"
    else:
        stem = f"{rng.choice(SURNAMES)} {rng.choice(PLACES)} {rng.choice(TRADES)}"
    suffix = rng.choice(SUFFIXES)
    return f"{stem}, {suffix}" if suffix and rng.random() < 0.3 else f"{stem} {suffix}".strip()


def _variant(rng: random.Random, name: str) -> str:
    """The same organization as a person might type it in another product."""
    changes: list[Callable[[str], str]] = [
        str.upper,
        lambda text: text.lower(),
        lambda text: suggestion_key(text).title(),
        lambda text: (
            text.replace(" & ", " and ") if " & " in text else text.replace(" and ", " & ")
        ),
        _swap_partners,
        lambda text: f"{text.rstrip('.,')} {rng.choice(['Inc.', 'LLC', 'Ltd', 'GmbH'])}",
        lambda text: _misspell(rng, text),
    ]
    return rng.choice(changes)(name)


def _swap_partners(name: str) -> str:
    """ "Smith & Jones Dental" -> "Jones and Smith Dental"."""
    words = name.split()
    if len(words) > 3 and words[1] == "&":
        return " ".join([words[2], "and", words[0], *words[3:]])
    return name


def _misspell(rng: random.Random, name: str) -> str:
    """Double or drop one letter of a word of four letters or more."""
    words = name.split()
    long_words = [position for position, word in enumerate(words) if len(word) >= 4]
    if not long_words:
        return name
    position = rng.choice(long_words)
    word = words[position]
    at = rng.randrange(1, len(word))
    doubled = rng.random() < 0.5
    words[position] = (
        word[:at] + word[at - 1] + word[at:] if doubled else word[:at] + word[at + 1 :]
    )
    return " ".join(words)


def difflib_seconds_per_customer(workload: Workload, sample: int) -> tuple[float, float]:
    """Wall and CPU seconds per customer for the first shortlist's work with difflib, timed on
    `sample` customers drawn at random (a fixed seed) from the whole workload.

    Each customer's sorted compare form against every organization's, keeping the best few at or
    above the floor, with difflib's cheap upper bounds (`real_quick_ratio`, `quick_ratio`) tried
    first as `get_close_matches` does. `suggest_matches` does more than this (the second shortlist
    and the full scores), so the speed-up printed understates it.
    """
    index = OrganizationIndex(workload.organizations)
    names = random.Random(SEED + 1).sample(list(workload.customers.values()), sample)
    queries = [compare_forms(suggestion_key(name)).alphabetical for name in names]
    floor = ALTERNATIVE_FLOOR / 100
    matcher = difflib.SequenceMatcher(autojunk=False)
    started, cpu_started = time.perf_counter(), time.process_time()
    for query in queries:
        matcher.set_seq2(query)  # difflib caches what it learns about the second sequence
        scored = []
        for column, choice in enumerate(index.alphabetical):
            matcher.set_seq1(choice)
            if matcher.real_quick_ratio() >= floor and matcher.quick_ratio() >= floor:
                ratio = matcher.ratio()
                if ratio >= floor:
                    scored.append((ratio, column))
        sorted(scored, reverse=True)[:5]
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return elapsed / len(queries), cpu / len(queries)


def rapidfuzz_run(workload: Workload) -> tuple[float, float, dict[str, CustomerSuggestions]]:
    """Wall and CPU seconds (all threads) for `suggest_matches`, building the index included."""
    started, cpu_started = time.perf_counter(), time.process_time()
    suggestions = suggest_matches(workload.customers, workload.organizations)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return elapsed, cpu, suggestions


def peak_traced_bytes(workload: Workload) -> int:
    """Peak memory Python and numpy allocated during one more run, as tracemalloc saw it."""
    tracemalloc.start()
    suggest_matches(workload.customers, workload.organizations)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def main() -> None:
    """Print the table of figures for matching."""
    workload = generate()
    timings, cpu_timings = [], []
    suggestions: dict[str, CustomerSuggestions] = {}
    for _ in range(RUNS):
        seconds, cpu_seconds, suggestions = rapidfuzz_run(workload)
        timings.append(seconds)
        cpu_timings.append(cpu_seconds)
    per_customer, cpu_per_customer = difflib_seconds_per_customer(workload, DIFFLIB_SAMPLE)
    difflib_seconds = per_customer * len(workload.customers)
    difflib_cpu = cpu_per_customer * len(workload.customers)
    median, fastest = statistics.median(timings), min(timings)
    cpu_median = statistics.median(cpu_timings)
    # Judged on the median run, and on CPU time as well as wall time: rapidfuzz spreads its work
    # over every core while difflib uses one, so the wall-clock speed-up counts the cores too.
    speedup, cpu_speedup = difflib_seconds / median, difflib_cpu / cpu_median
    peak = peak_traced_bytes(workload)
    max_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rows = [
        ("workload", f"{CUSTOMERS:,} customers x {ORGANIZATIONS:,} organizations"),
        (f"rapidfuzz, fastest of {RUNS} runs", f"{fastest:.2f} s"),
        (f"rapidfuzz, median of {RUNS} runs", f"{median:.2f} s"),
        (f"rapidfuzz CPU time, all threads, median of {RUNS}", f"{cpu_median:.2f} s"),
        (f"difflib on {DIFFLIB_SAMPLE} random customers, wall / CPU",
         f"{per_customer * DIFFLIB_SAMPLE:.2f} s / {cpu_per_customer * DIFFLIB_SAMPLE:.2f} s"),
        (f"difflib extrapolated to {CUSTOMERS:,}, wall / CPU",
         f"{difflib_seconds:,.0f} s / {difflib_cpu:,.0f} s"),
        ("speed-up over difflib, wall (median run)", f"{speedup:,.0f}x"),
        ("speed-up over difflib, CPU (median run)", f"{cpu_speedup:,.0f}x"),
        ("peak traced memory (tracemalloc)", f"{peak / 2**20:.1f} MiB"),
        ("process max RSS", f"{max_rss_kib / 1024:.0f} MiB"),
        *_quality_rows(workload, suggestions),
        (f"target: median under {TARGET_SECONDS:.0f} s", _verdict(median < TARGET_SECONDS)),
        (f"target: {TARGET_SPEEDUP:.0f}x difflib (wall and CPU, median run)",
         _verdict(min(speedup, cpu_speedup) >= TARGET_SPEEDUP)),
        ("load average (1 min) / CPUs", f"{os.getloadavg()[0]:.1f} / {os.cpu_count()}"),
    ]
    print(table("matching: suggested matches", ("figure", "value"), rows))
    sys.stdout.flush()


def _quality_rows(
    workload: Workload, suggestions: dict[str, CustomerSuggestions]
) -> list[tuple[str, str]]:
    """How many planted variants got the right suggestion, and how many new names got one."""
    right = auto = 0
    for customer_id, organization_id in workload.planted.items():
        suggested = suggestions[customer_id].suggested
        if suggested and suggested.organization_id == organization_id:
            right += 1
            auto += suggestions[customer_id].auto_acceptable
    new = [cid for cid in workload.customers if cid not in workload.planted]
    new = [cid for cid in new if workload.customers[cid] not in workload.organizations.values()]
    flagged = sum(1 for cid in new if suggestions[cid].suggested)
    planted = len(workload.planted)
    return [
        ("variants suggested right", f"{right:,} of {planted:,} ({auto:,} auto-acceptable)"),
        ("new names given a suggestion", f"{flagged:,} of {len(new):,}"),
    ]


def _verdict(holds: bool) -> str:
    """The word printed for a target."""
    return "holds" if holds else "MISSED"


if __name__ == "__main__":
    main()
