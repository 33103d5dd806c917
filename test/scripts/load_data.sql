SET client_min_messages = warning;
-- load_data.sql: loads the reference data sets (test/data/*.csv) into tables with named
-- float8 columns and a float8[] column x holding the features in file order.
-- Run with psql from the repository root (paths are relative to it).

DROP TABLE IF EXISTS breast_cancer;
CREATE TABLE breast_cancer (
    id int PRIMARY KEY,
    mean_radius float8 NOT NULL,
    mean_texture float8 NOT NULL,
    mean_perimeter float8 NOT NULL,
    mean_area float8 NOT NULL,
    mean_smoothness float8 NOT NULL,
    mean_compactness float8 NOT NULL,
    mean_concavity float8 NOT NULL,
    mean_concave_points float8 NOT NULL,
    mean_symmetry float8 NOT NULL,
    mean_fractal_dimension float8 NOT NULL,
    radius_error float8 NOT NULL,
    texture_error float8 NOT NULL,
    perimeter_error float8 NOT NULL,
    area_error float8 NOT NULL,
    smoothness_error float8 NOT NULL,
    compactness_error float8 NOT NULL,
    concavity_error float8 NOT NULL,
    concave_points_error float8 NOT NULL,
    symmetry_error float8 NOT NULL,
    fractal_dimension_error float8 NOT NULL,
    worst_radius float8 NOT NULL,
    worst_texture float8 NOT NULL,
    worst_perimeter float8 NOT NULL,
    worst_area float8 NOT NULL,
    worst_smoothness float8 NOT NULL,
    worst_compactness float8 NOT NULL,
    worst_concavity float8 NOT NULL,
    worst_concave_points float8 NOT NULL,
    worst_symmetry float8 NOT NULL,
    worst_fractal_dimension float8 NOT NULL,
    target int NOT NULL
);
\copy breast_cancer (id, mean_radius, mean_texture, mean_perimeter, mean_area, mean_smoothness, mean_compactness, mean_concavity, mean_concave_points, mean_symmetry, mean_fractal_dimension, radius_error, texture_error, perimeter_error, area_error, smoothness_error, compactness_error, concavity_error, concave_points_error, symmetry_error, fractal_dimension_error, worst_radius, worst_texture, worst_perimeter, worst_area, worst_smoothness, worst_compactness, worst_concavity, worst_concave_points, worst_symmetry, worst_fractal_dimension, target) FROM 'test/data/breast_cancer.csv' WITH (FORMAT csv, HEADER true)
ALTER TABLE breast_cancer ADD COLUMN x float8[];
UPDATE breast_cancer SET x = ARRAY[mean_radius, mean_texture, mean_perimeter, mean_area, mean_smoothness, mean_compactness, mean_concavity, mean_concave_points, mean_symmetry, mean_fractal_dimension, radius_error, texture_error, perimeter_error, area_error, smoothness_error, compactness_error, concavity_error, concave_points_error, symmetry_error, fractal_dimension_error, worst_radius, worst_texture, worst_perimeter, worst_area, worst_smoothness, worst_compactness, worst_concavity, worst_concave_points, worst_symmetry, worst_fractal_dimension];
ALTER TABLE breast_cancer ALTER COLUMN x SET NOT NULL;
ANALYZE breast_cancer;

DROP TABLE IF EXISTS iris;
CREATE TABLE iris (
    id int PRIMARY KEY,
    sepal_length float8 NOT NULL,
    sepal_width float8 NOT NULL,
    petal_length float8 NOT NULL,
    petal_width float8 NOT NULL,
    target int NOT NULL
);
\copy iris (id, sepal_length, sepal_width, petal_length, petal_width, target) FROM 'test/data/iris.csv' WITH (FORMAT csv, HEADER true)
ALTER TABLE iris ADD COLUMN x float8[];
UPDATE iris SET x = ARRAY[sepal_length, sepal_width, petal_length, petal_width];
ALTER TABLE iris ALTER COLUMN x SET NOT NULL;
ANALYZE iris;

-- factors: a number, a four-level text column and a boolean, a numeric and a boolean label, and
-- R's lm() fitted values
-- (test/scripts/reference_factors.R)
DROP TABLE IF EXISTS factors;
CREATE TABLE factors (
    id int PRIMARY KEY,
    x float8 NOT NULL,
    g text NOT NULL,
    b boolean NOT NULL,
    y float8 NOT NULL,
    high boolean NOT NULL,
    r_fitted float8 NOT NULL
);
\copy factors (id, x, g, b, y, high, r_fitted) FROM 'test/data/factors.csv' WITH (FORMAT csv, HEADER true)
ANALYZE factors;

-- factors_v1: a ridge model on factors with full one-hot coding, as train() wrote it before
-- reference levels existed (payload version 1), and its predictions then, rows with a NULL, an
-- unseen category and a NULL boolean included
DROP TABLE IF EXISTS factors_v1;
CREATE TABLE factors_v1 (
    id int PRIMARY KEY,
    x float8 NOT NULL,
    g text,
    b boolean,
    prediction float8 NOT NULL
);
\copy factors_v1 (id, x, g, b, prediction) FROM 'test/data/factors_v1_predictions.csv' WITH (FORMAT csv, HEADER true)
DROP TABLE IF EXISTS factors_v1_model;
CREATE TABLE factors_v1_model (hex text NOT NULL);
\copy factors_v1_model (hex) FROM 'test/data/factors_v1_model.hex'

DROP TABLE IF EXISTS diabetes;
CREATE TABLE diabetes (
    id int PRIMARY KEY,
    age float8 NOT NULL,
    sex float8 NOT NULL,
    bmi float8 NOT NULL,
    bp float8 NOT NULL,
    s1 float8 NOT NULL,
    s2 float8 NOT NULL,
    s3 float8 NOT NULL,
    s4 float8 NOT NULL,
    s5 float8 NOT NULL,
    s6 float8 NOT NULL,
    target float8 NOT NULL
);
\copy diabetes (id, age, sex, bmi, bp, s1, s2, s3, s4, s5, s6, target) FROM 'test/data/diabetes.csv' WITH (FORMAT csv, HEADER true)
ALTER TABLE diabetes ADD COLUMN x float8[];
UPDATE diabetes SET x = ARRAY[age, sex, bmi, bp, s1, s2, s3, s4, s5, s6];
ALTER TABLE diabetes ALTER COLUMN x SET NOT NULL;
ANALYZE diabetes;

-- MASS::Pima.tr (test/scripts/reference_glm.R): 200 rows, 7 features, type 'No' / 'Yes'
DROP TABLE IF EXISTS pima_tr;
CREATE TABLE pima_tr (
    id int PRIMARY KEY,
    npreg float8 NOT NULL,
    glu float8 NOT NULL,
    bp float8 NOT NULL,
    skin float8 NOT NULL,
    bmi float8 NOT NULL,
    ped float8 NOT NULL,
    age float8 NOT NULL,
    type text NOT NULL
);
\copy pima_tr (id, npreg, glu, bp, skin, bmi, ped, age, type) FROM 'test/data/pima_tr.csv' WITH (FORMAT csv, HEADER true)
ALTER TABLE pima_tr ADD COLUMN x float8[];
UPDATE pima_tr SET x = ARRAY[npreg, glu, bp, skin, bmi, ped, age];
ALTER TABLE pima_tr ALTER COLUMN x SET NOT NULL;
ANALYZE pima_tr;

-- datasets::longley (test/scripts/reference_glm.R): 16 rows, 6 strongly collinear features
DROP TABLE IF EXISTS longley;
CREATE TABLE longley (
    id int PRIMARY KEY,
    gnp_deflator float8 NOT NULL,
    gnp float8 NOT NULL,
    unemployed float8 NOT NULL,
    armed_forces float8 NOT NULL,
    population float8 NOT NULL,
    year float8 NOT NULL,
    employed float8 NOT NULL
);
\copy longley (id, gnp_deflator, gnp, unemployed, armed_forces, population, year, employed) FROM 'test/data/longley.csv' WITH (FORMAT csv, HEADER true)
ANALYZE longley;
-- iris class probabilities of a fixed model plus edge rows, mtcars and airquality (R datasets):
-- written by test/scripts/reference_rankstats.py and reference_rankstats.R
DROP TABLE IF EXISTS iris_proba;
CREATE TABLE iris_proba (id int PRIMARY KEY, species text NOT NULL, target int NOT NULL,
    p_setosa float8 NOT NULL, p_versicolor float8 NOT NULL, p_virginica float8 NOT NULL, edge int NOT NULL);
\copy iris_proba FROM 'test/data/iris_proba.csv' WITH (FORMAT csv, HEADER true)
DROP TABLE IF EXISTS mtcars;
CREATE TABLE mtcars (id int PRIMARY KEY, name text, mpg float8, cyl float8, disp float8, hp float8, drat float8,
    wt float8, qsec float8, vs float8, am float8, gear float8, carb float8);
\copy mtcars FROM 'test/data/mtcars.csv' WITH (FORMAT csv, HEADER true)
DROP TABLE IF EXISTS airquality;
CREATE TABLE airquality (id int PRIMARY KEY, ozone float8, solar_r float8, wind float8, temp float8, month float8, day float8);
\copy airquality FROM 'test/data/airquality.csv' WITH (FORMAT csv, HEADER true)
ANALYZE iris_proba; ANALYZE mtcars; ANALYZE airquality;
