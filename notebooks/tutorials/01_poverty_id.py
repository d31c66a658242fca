# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Kemiskinan dan ketimpangan dengan desain survei
#
# **Pertanyaan.** Berapa banyak penduduk Pangkep yang hidup di bawah garis kemiskinan pada 2025,
# seberapa dalam kemiskinannya, di mana mereka tinggal, dan seberapa timpang pengeluarannya?
# Seberapa yakin kita, mengingat angka-angka ini berasal dari survei sampel sekitar seribu
# rumah tangga?
#
# Kita bekerja pada *dunia demo*: Pangkep sintetis dengan 103 desa/kelurahan yang nyata,
# dibangkitkan dari sebuah *seed*, yang tingkat kemiskinan sebenarnya diketahui. Ganti dengan
# survei Anda sendiri yang serupa Susenas (satu baris per rumah tangga, dengan penimbang, strata
# dan PSU) dan bagian lain notebook ini tetap sama.

# %%
from kassaki_eval.poverty import (SurveyDesign, change, fgt, gini, palma, poverty_lines,
                                  profile_table, quantile_shares)
from kassaki_eval.reference import poverty_line
from kassaki_eval.synthetic import generate_world

world = generate_world(seed=2024, scale=0.1)
survey = world.survey
survey[["year", "hh_id", "kec_code", "stratum", "psu", "weight", "hh_size",
        "consumption_pc"]].head()

# %% [markdown]
# ## 1. Nyatakan desain survei
#
# Survei memilih desa (unit sampel primer, PSU) di dalam setiap kecamatan (strata), lalu rumah
# tangga di dalam desa. Galat baku harus mencerminkan hal ini: rumah tangga dalam satu desa mirip
# satu sama lain, sehingga galat baku naif akan terlalu kecil. Strata yang hanya memiliki satu
# desa sampel ditangani dengan aturan `"adjust"` seperti paket R `survey`.

# %%
wave = survey[survey["year"] == 2025].reset_index(drop=True)
design = SurveyDesign(wave, weight="weight", strata="stratum", psu="psu", lonely_psu="adjust")
design

# %% [markdown]
# ## 2. Garis kemiskinan
#
# Garis kemiskinan dalam rupiah per kapita per bulan, lengkap dengan sumbernya. Garis yang belum
# terverifikasi adalah pertimbangan kalibrasi dan dilaporkan demikian.

# %%
lines = poverty_lines(years=[2023, 2024, 2025])
lines

# %%
line_2025 = poverty_line(2025, kind="total")
line_2025

# %% [markdown]
# ## 3. Persentase, kedalaman dan keparahan kemiskinan (FGT)
#
# `g` adalah eksponen FGT: 0 memberi persentase penduduk miskin P0, 1 indeks kedalaman P1,
# 2 indeks keparahan P2. `size="hh_size"` menimbang setiap rumah tangga dengan jumlah anggotanya,
# sehingga angkanya adalah persentase *penduduk*, seperti publikasi BPS. `alpha` adalah tingkat
# kepercayaan (0,05 memberi selang kepercayaan 95 %).

# %%
pov = fgt(design, line=line_2025, g=[0, 1, 2], size="hh_size", alpha=0.05)
pov.tidy()

# %% [markdown]
# Efek desain (`deff`) menunjukkan berapa kali lebih besar varians dibandingkan sampel acak
# sederhana dengan jumlah rumah tangga yang sama: pengelompokan dalam desa mengurangi presisi.
#
# Karena ini dunia demo, kita dapat membandingkan dengan nilai sebenarnya, yaitu tingkat
# kemiskinan penduduk di seluruh populasi sintetis:

# %%
truth = world.truth["poverty"]
truth[(truth["year"] == 2025) & (truth["domain"] == "district")]

# %% [markdown]
# ## 4. Di mana penduduk miskin? Profil kemiskinan
#
# Profil memberikan, per kelompok, porsi penduduk, tingkat kemiskinan dan sumbangan kelompok
# terhadap kemiskinan kabupaten. Kecamatan dengan sedikit desa sampel memiliki selang yang lebar.

# %%
profile_table(design, line=line_2025, by="zone", size="hh_size")

# %%
profile_table(design, line=line_2025, by="kec_code", size="hh_size")

# %% [markdown]
# ## 5. Perubahan sejak putaran sebelumnya
#
# `change` membandingkan dua putaran survei. Desa yang disampel pada kedua putaran membuat kedua
# estimasi berkorelasi; kovariansnya masuk ke galat baku perubahan. Setiap putaran diukur dengan
# garis kemiskinan tahunnya sendiri.

# %%
chg = change(survey, line={2024: poverty_line(2024), 2025: line_2025},
             years=(2024, 2025),
             design={"weight": "weight", "strata": "stratum", "psu": "psu", "lonely_psu": "adjust"})
chg.tidy()

# %% [markdown]
# ## 6. Ketimpangan
#
# Koefisien Gini (ditimbang penduduk), rasio Palma (10 % teratas dibanding 40 % terbawah) dan
# porsi pengeluaran per kuintil, masing-masing dengan selang kepercayaan berbasis desain.

# %%
gini(design, size="hh_size").tidy()

# %%
palma(design, size="hh_size").tidy()

# %%
quantile_shares(design, size="hh_size").tidy()

# %% [markdown]
# ## Coba sendiri
#
# - Gunakan garis kemiskinan ekstrem (`poverty_line(2025, kind="extreme")`) sebagai pengganti garis total.
# - Ganti `by="zone"` menjadi `by="head_sex"` pada profil.
# - Gunakan `alpha=0.10` untuk selang kepercayaan 90 %.
