"""A small valid platform export, written as the platform writes it, for ingest tests."""

from __future__ import annotations

from pathlib import Path

SMALL_EXPORT: dict[str, str] = {
    "trainers.csv": """\
trainer_ref,first_name,last_name,email,siret,nda,iban,bic,vat_regime,self_billing,address,postcode,city
TR-01,Élodie,Marchand,elodie.marchand@formateurs.example,73282932000074,11755555575,FR7630006000011234567890189,AGRIFRPPXXX,franchise,yes,"3 rue des Lilas",69003,Lyon
TR-02,Jean-François,Le Gall,jf.legall@formateurs.example,44306184100047,,DE89370400440532013000,,vat,no,,,
""",
    "clients.csv": """\
client_ref,name,siret,address,postcode,city,idcc,headcount,contact_name,contact_email,opco
CL-01,Durand & Fils SAS,35600000049837,"18 avenue de l'Opéra",75001,Paris,1486,42,Claire Durand,rh@durand.example,ATLAS
CL-02,Boulangerie Martin,73282932000074,2 place du Marché,44000,Nantes,16,8,Paul Martin,paul@martin.example,
""",
    "programmes.csv": """\
programme_ref,title,objectives,content,prerequisites,audience,methods,evaluation,accessibility,duration_hours
PR-EXCEL,Excel avancé,"Construire un tableau croisé dynamique
Automatiser avec des macros","Séquence 1 : rappels
Séquence 2 : TCD",Bases d'Excel,Assistants de gestion,Exercices pratiques,QCM final,Salle accessible ; adaptations étudiées avant l'entrée en formation,14
""",
    "sessions.csv": """\
session_ref,programme_ref,trainer_ref,client_ref,start_date,end_date,hours_per_trainee,modality,location,price_ht,trainer_fee_ht,funding,validated_at,cancelled_at
S-001,PR-EXCEL,TR-01,CL-01,2026-12-07,2026-12-08,14,presentiel,"18 avenue de l'Opéra, 75001 Paris",2450.00,1500.00,opco_subrogation,2026-11-02T10:12:00+01:00,
S-002,PR-EXCEL,TR-02,CL-02,2026-10-05,2026-10-06,14,distanciel,https://visio.example/s-002,1800.00,1100.00,company,2026-09-01T09:00:00+02:00,
""",
    "slots.csv": """\
session_ref,date,start,end
S-001,2026-12-07,09:00,12:30
S-001,2026-12-07,13:30,17:00
S-001,2026-12-08,09:00,12:30
S-001,2026-12-08,13:30,17:00
""",
    "trainees.csv": """\
session_ref,trainee_ref,first_name,last_name,email,job_title
S-001,T-1,Éloïse,N'Diaye,eloise@durand.example,Assistante
S-001,T-2,Marc,Dupont,,
S-002,T-1,Ana,Silva,,Boulangère
""",
    "pecs.csv": """\
pec_ref,session_ref,opco,dossier_number,client_siret,title,start_date,end_date,hours,amount_granted_ht,subrogation,trainees,received_at,document
PEC-1,S-001,ATLAS,AT-2026-012345,35600000049837,Excel avancé,2026-12-07,2026-12-08,14,2100.00,yes,Eloise N'DIAYE;Marc Dupont,2026-11-20T14:00:00+01:00,pec-1.pdf
""",
    "attendance.csv": """\
session_ref,trainee_ref,date,half_day,status,minutes
S-002,T-1,2026-10-05,am,present,
S-002,T-1,2026-10-05,pm,present,150
S-002,T-1,2026-10-06,am,absent,
""",
    "completions.csv": """\
session_ref,declared_at
S-002,2026-10-06T18:00:00+02:00
""",
    "trainer_invoices.csv": """\
session_ref,trainer_ref,number,amount_ht,vat,amount_ttc,received_at
S-002,TR-02,F-2026-017,1100.00,220.00,1320.00,2026-10-08T09:00:00+02:00
""",
}


def write_export(folder: Path, files: dict[str, str] | None = None, **replaced: str) -> Path:
    """Write SMALL_EXPORT (or `files`) into folder; `sessions_csv="..."` replaces one file's text."""
    folder.mkdir(parents=True, exist_ok=True)
    contents = dict(SMALL_EXPORT if files is None else files)
    for name, text in replaced.items():
        contents[name.replace("_csv", ".csv")] = text
    for name, text in contents.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder
