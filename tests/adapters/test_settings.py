from pathlib import Path

import pytest

from adapters.settings import PROJECT_ROOT, SettingsError, read_dotenv, settings_from_env


def test_the_embedded_defaults_live_under_the_data_folder():
    settings = settings_from_env({})
    local = PROJECT_ROOT / "data" / "local"
    assert settings.database_url == f"sqlite:///{local / 'backoffice.sqlite3'}"
    assert settings.export_inbox == local / "inbox" / "platform-export"
    assert settings.bank_inbox == local / "inbox" / "bank"
    assert settings.outbox_dir == local / "outbox"
    assert settings.mail_backend == "eml" and settings.smtp is None


def test_everything_comes_from_the_environment(tmp_path: Path):
    settings = settings_from_env({
        "DATABASE_URL": "postgresql+psycopg://app@db/backoffice",
        "BACKOFFICE_DATA_DIR": str(tmp_path),
        "BACKOFFICE_EXPORT_INBOX": str(tmp_path / "exports"),
        "SMTP_HOST": "smtp.example.org", "SMTP_PORT": "465", "SMTP_USER": "apikey",
        "SMTP_PASSWORD": "s3cret", "SMTP_SECURITY": "ssl",
        "MARKETPLACE_NAME": "Formations Exemple SAS", "MARKETPLACE_NDA": "11756666675",
        "MARKETPLACE_EMAIL": "",
    })
    assert settings.database_url == "postgresql+psycopg://app@db/backoffice"
    assert settings.export_inbox == tmp_path / "exports"
    assert settings.output_dir == tmp_path / "output"
    assert settings.mail_backend == "smtp"
    assert (settings.smtp.host, settings.smtp.port, settings.smtp.security) == (
        "smtp.example.org", 465, "ssl")
    assert settings.marketplace.name == "Formations Exemple SAS"
    assert settings.marketplace.nda == "11756666675"
    assert settings.marketplace.email == "backoffice@ganapati.example"  # empty means default


def test_a_bad_legal_identity_is_refused_naming_the_variable():
    with pytest.raises(SettingsError, match="MARKETPLACE_SIRET : SIRET invalide") as error:
        settings_from_env({"MARKETPLACE_SIRET": "12345678901234", "MARKETPLACE_IBAN": "FR00"})
    assert "MARKETPLACE_IBAN" in str(error.value)


def test_the_example_env_file_reads_back_as_the_defaults():
    example = read_dotenv(PROJECT_ROOT / ".env.example")
    assert example["MARKETPLACE_NAME"] == "Ganapati Formation SAS"
    assert example["BACKOFFICE_EXPORT_INBOX"] == "" and example["SMTP_SECURITY"] == "starttls"
    assert settings_from_env(example) == settings_from_env({})


def test_the_process_environment_wins_over_the_env_file(tmp_path, monkeypatch):
    env_file = tmp_path / "prod.env"
    env_file.write_text("# production\nexport SMTP_HOST='mail.example.org'\nSMTP_PORT=2525 # relay\n"
                        "MARKETPLACE_CITY=\"Lyon\"\n", encoding="utf-8")
    monkeypatch.setenv("BACKOFFICE_ENV_FILE", str(env_file))
    monkeypatch.setenv("SMTP_PORT", "465")
    settings = settings_from_env()
    assert (settings.smtp.host, settings.smtp.port) == ("mail.example.org", 465)
    assert settings.marketplace.city == "Lyon"
