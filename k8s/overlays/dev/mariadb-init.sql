-- Development only: MariaDB runs this once, when its data volume is empty. One database per
-- service and one user owning it (deploy/check-k8s.sh checks that the DSNs in
-- kustomization.yaml match these users and passwords).
CREATE DATABASE IF NOT EXISTS intake CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS routing CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS escalation CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS assessment CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS bundle CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'intake'@'%' IDENTIFIED BY 'dev-intake-password';
CREATE USER IF NOT EXISTS 'routing'@'%' IDENTIFIED BY 'dev-routing-password';
CREATE USER IF NOT EXISTS 'escalation'@'%' IDENTIFIED BY 'dev-escalation-password';
CREATE USER IF NOT EXISTS 'assessment'@'%' IDENTIFIED BY 'dev-assessment-password';
CREATE USER IF NOT EXISTS 'bundle'@'%' IDENTIFIED BY 'dev-bundle-password';
GRANT ALL PRIVILEGES ON intake.* TO 'intake'@'%';
GRANT ALL PRIVILEGES ON routing.* TO 'routing'@'%';
GRANT ALL PRIVILEGES ON escalation.* TO 'escalation'@'%';
GRANT ALL PRIVILEGES ON assessment.* TO 'assessment'@'%';
GRANT ALL PRIVILEGES ON bundle.* TO 'bundle'@'%';
