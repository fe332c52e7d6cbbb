"""The indexes that keep matching linear find exactly what a scan of everything would find.

Approaching payer names are looked up by their letter pairs (`name_index.CloseNames`) rather
than compared with every alias of the directory; numbers one digit off are read from the payer's
invoices; the invoices adding up to a payment are found by meeting in the middle
(`subsets.exact_subsets`) rather than by trying every combination; the words of a plain ASCII
name or label are read without the general folding; one reference is blanked by slicing. These
properties compare them with the plain scan or the general path they replace, on random names,
directories, amounts and texts.
"""

from __future__ import annotations

from difflib import SequenceMatcher
from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from backoffice.matching import LEGAL_FORMS, MAX_COMBINATIONS, PayerDirectory
from backoffice.matching.name_index import close_lengths, letter_pairs, pairs_shared
from backoffice.matching.payers import Payers, name_tokens
from backoffice.matching.reference_index import blank
from backoffice.matching.subsets import Pool, exact_subsets
from backoffice.matching.text import label_text, words
from backoffice.names import PAYER_NAME_THRESHOLD, fold_label

# few letters, so that close names, repeated pairs and typos are common
names = st.text(alphabet="ABEILNORST 12", min_size=1, max_size=40)


def edited(name: str, data: st.DataObject) -> str:
    """`name` with a few random characters substituted, inserted or dropped."""
    chars = list(name)
    for _ in range(data.draw(st.integers(0, 4))):
        position = data.draw(st.integers(0, len(chars)))
        action = data.draw(st.sampled_from(["substitute", "insert", "drop"]))
        letter = data.draw(st.sampled_from("ABEILNORST 12"))
        if action == "insert" or not chars:
            chars.insert(position, letter)
        elif action == "substitute":
            chars[min(position, len(chars) - 1)] = letter
        else:
            del chars[min(position, len(chars) - 1)]
    return "".join(chars) or "X"


@settings(max_examples=3000, deadline=None)
@given(names, st.data())
def test_texts_difflib_finds_alike_share_enough_letter_pairs(name, data):
    other = edited(name, data) if data.draw(st.booleans()) else data.draw(names)
    if SequenceMatcher(None, name, other).ratio() >= PAYER_NAME_THRESHOLD:
        assert len(other) in close_lengths(len(name))
        shared = set(letter_pairs(name)) & set(letter_pairs(other))
        assert len(shared) >= pairs_shared(len(name))


def scanned(payers: Payers, joined: str) -> set[int]:
    """What `_close` answers, by comparing `joined` with every alias of the directory."""
    return {index for index, alias in enumerate(payers.aliases)
            if SequenceMatcher(None, joined, " ".join(sorted(alias.tokens))).ratio() >= PAYER_NAME_THRESHOLD}


@settings(max_examples=500, deadline=None)
@given(st.lists(names, min_size=1, max_size=30), st.data())
def test_approaching_names_are_those_a_scan_of_the_directory_finds(directory_names, data):
    payers = Payers(PayerDirectory(names={f"P{k}": (name,) for k, name in enumerate(directory_names)}))
    for _ in range(5):
        if payers.aliases and data.draw(st.booleans()):
            alias = payers.aliases[data.draw(st.integers(0, len(payers.aliases) - 1))]
            joined = edited(" ".join(sorted(alias.tokens)), data)
        else:
            joined = data.draw(names)
        assert payers._close(joined) == scanned(payers, joined)


def tried_in_turn(cents: list[int], target: int, min_size: int) -> tuple[list[tuple[int, ...]], bool]:
    """Every combination in `itertools.combinations` order, fewer invoices first, as far as the budget."""
    found, tried = [], 0
    for size in range(min_size, len(cents) + 1):
        for combo in combinations(range(len(cents)), size):
            if tried == MAX_COMBINATIONS:
                return found, False
            tried += 1
            if sum(cents[i] for i in combo) == target:
                found.append(combo)
    return found, True


# few distinct amounts, so that many subsets reach the same sum; up to 16 invoices: past the budget
@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from([120_00, 350_00, 480_00, 600_00, 35_000, 7]), min_size=1, max_size=16),
       st.integers(1, 2), st.data())
def test_the_subsets_adding_up_to_a_payment_are_those_trying_every_combination_finds(cents, min_size, data):
    subset = data.draw(st.lists(st.sampled_from(range(len(cents))), unique=True))
    target = data.draw(st.sampled_from([sum(cents[i] for i in subset) or 1, 1_200_00, 7]))

    assert exact_subsets(cents, target, min_size=min_size) == tried_in_turn(cents, target, min_size)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(1, 5_000_00), max_size=12), st.integers(1, 10_000_00))
def test_a_payers_pool_finds_the_subsets_of_two_or_more_that_the_search_finds(cents, target):
    pool = Pool(12, list(range(len(cents))), cents)

    assert pool.subsets(target) == exact_subsets(cents, target, min_size=2)
    assert pool.subsets(sum(cents)) == exact_subsets(cents, sum(cents), min_size=2)


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=60))
def test_an_ascii_names_words_are_those_the_general_folding_finds(text):
    general = words(text.replace("&", " ET ").replace(".", "")).split()
    assert name_tokens(text) == tuple(word for word in general if word not in LEGAL_FORMS)


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=60))
def test_an_ascii_label_reads_as_the_general_folding_reads_it(text):
    assert label_text(text) == fold_label(text).upper()


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=30), st.data())
def test_one_reference_is_blanked_as_the_general_path_blanks_it(text, data):
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    general = blank(text, [(start, end), (start, end)])  # the second overlaps: skipped
    assert blank(text, [(start, end)]) == general and len(general) == len(text)

