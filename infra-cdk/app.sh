#!/usr/bin/env bash
# The CDK app's entry point. `cdk synth` and `cdk deploy` run it through cdk.json; run alone
# (./app.sh -c clusterName=... -c ...) it synthesises into cdk.out without the CDK CLI.
# It builds the functions' jar and the app when their sources changed, then runs the app from target/classes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
. ../.mvn/java-home.sh
flotilla_java_home >&2 || exit 1
if [ ! -f target/classpath.txt ] || [ -n "$(find ../shared/src ../functions/src src pom.xml -newer target/classpath.txt -print -quit)" ]; then
  ../mvnw -q -B -ntp -f ../pom.xml -pl infra-cdk -am package -DskipTests >&2
fi
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION=1 JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1 JSII_DEPRECATED=quiet
exec "$JAVA_HOME/bin/java" -cp "target/classes:$(cat target/classpath.txt)" dev.flotilla.infra.FlotillaApp "$@"
