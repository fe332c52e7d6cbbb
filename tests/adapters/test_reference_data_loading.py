"""The shipped reference data loads into the core's types; a bad file names line and column."""

from datetime import date
from decimal import Decimal

import pytest

from adapters.reference_data import ReferenceDataError, load_funding_criteria, reference_data
from backoffice.funding_estimate import estimate_funding


def test_the_shipped_reference_data_loads():
    data = reference_data()
    assert len(data.opcos) == 11  # the OPCOs approved since 1 April 2019
    assert {"ATLAS", "AKTO", "OPCO_EP", "UNIFORMATION"} <= set(data.opcos)
    assert data.idcc_opco["1486"] == "ATLAS" and data.idcc_opco["0016"] == "OPCO_MOBILITES"
    assert len(data.idcc_opco) >= 40
    informative = [c for c in data.funding_criteria if not c.auto_apply]
    assert informative and all(not c.idccs for c in informative)


def test_the_atlas_branch_214_criteria_give_an_estimate():
    estimate = estimate_funding(reference_data().funding_criteria, opco="ATLAS", idcc="1486",
                                headcount=30, hours_per_trainee=Decimal("14"), trainees=3,
                                price_ht=Decimal("7500.00"), on=date(2022, 3, 1))
    assert (estimate.opco_share, estimate.reste_a_charge) == (Decimal("6000.00"),
                                                              Decimal("1500.00"))


def test_a_bad_criteria_file_names_line_and_column(tmp_path):
    path = tmp_path / "funding_criteria.csv"
    path.write_text("# source\nopco,scope,idccs,size_min,size_max,valid_from,valid_to,"
                    "hourly_cap_ht,annual_cap_ht,min_hours,funded_share,auto_apply,source,note\n"
                    "ATLAS,x,1486,0,10,2026-13-01,,,,,,yes,S,\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="ligne 3, colonne « valid_from »"):
        load_funding_criteria(path)
