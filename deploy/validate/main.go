// Command validate checks the Kubernetes manifests in deploy/k8s offline: every document
// decodes strictly into the Kubernetes API's own Go types (k8s.io/api, the types the API
// server decodes into: unknown fields, wrong types and bad quantities are errors), and the
// objects fit together: selectors match pod labels, Services and probes name ports the
// containers open, every container requests CPU and memory, secrets come only from Secret
// references, autoscalers and disruption budgets point at Deployments that exist.
//
//	go run . ../k8s/*.yaml
package main

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

// Names of variables that carry a secret: they must come from a Secret, never a literal.
var secretName = regexp.MustCompile(`SECRET|PASSWORD|TOKEN|KEY|DATABASE_URL|REDIS_URL`)

type manifests struct {
	deployments []appsv1.Deployment
	services    []corev1.Service
	hpas        []autoscalingv2.HorizontalPodAutoscaler
	pdbs        []policyv1.PodDisruptionBudget
	jobs        []batchv1.Job
	configMaps  []corev1.ConfigMap
	namespaces  []corev1.Namespace
	problems    []string
}

func (m *manifests) fail(format string, args ...any) {
	m.problems = append(m.problems, fmt.Sprintf(format, args...))
}

func (m *manifests) decode(file string, doc []byte) {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := yaml.Unmarshal(doc, &head); err != nil {
		m.fail("%s: %v", file, err)
		return
	}
	kind := head.APIVersion + " " + head.Kind
	if decode, known := m.decoders()[kind]; known {
		decode(file, doc)
	} else if kind == "v1 Secret" {
		m.fail("%s: a Secret with values is checked in; reference one created out of band", file)
	} else {
		m.fail("%s: unexpected kind %s", file, kind)
	}
}

// decoders: for each kind the manifests may hold, what decodes a document of it.
func (m *manifests) decoders() map[string]func(string, []byte) {
	return map[string]func(string, []byte){
		"apps/v1 Deployment":                     adder(m, &m.deployments),
		"v1 Service":                             adder(m, &m.services),
		"autoscaling/v2 HorizontalPodAutoscaler": adder(m, &m.hpas),
		"policy/v1 PodDisruptionBudget":          adder(m, &m.pdbs),
		"batch/v1 Job":                           adder(m, &m.jobs),
		"v1 ConfigMap":                           adder(m, &m.configMaps),
		"v1 Namespace":                           adder(m, &m.namespaces),
	}
}

// adder decodes a document strictly into the list's type and appends it, or records why not.
func adder[T any](m *manifests, list *[]T) func(string, []byte) {
	return func(file string, doc []byte) {
		var v T
		if err := yaml.UnmarshalStrict(doc, &v); err != nil {
			m.fail("%s: %T: %v", file, v, err)
			return
		}
		*list = append(*list, v)
	}
}

func (m *manifests) checkPod(owner string, pod corev1.PodSpec) {
	if len(pod.Containers) == 0 {
		m.fail("%s: no containers", owner)
	}
	for _, c := range pod.Containers {
		where := owner + "/" + c.Name
		if c.Image == "" {
			m.fail("%s: no image", where)
		}
		if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() {
			m.fail("%s: no CPU or memory request", where)
		}
		for _, e := range c.Env {
			if secretName.MatchString(e.Name) && (e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil) {
				m.fail("%s: %s must come from a secretKeyRef", where, e.Name)
			}
		}
		ports := map[string]bool{}
		for _, p := range c.Ports {
			ports[p.Name] = true
			ports[fmt.Sprint(p.ContainerPort)] = true
		}
		for kind, probe := range map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
			if probe == nil || probe.HTTPGet == nil {
				continue
			}
			if !strings.HasPrefix(probe.HTTPGet.Path, "/") || !ports[probe.HTTPGet.Port.String()] {
				m.fail("%s: %s probe %s on port %s the container does not open", where, kind, probe.HTTPGet.Path, probe.HTTPGet.Port.String())
			}
		}
		if len(c.Ports) > 0 && (c.ReadinessProbe == nil || c.LivenessProbe == nil) {
			m.fail("%s: serves ports without readiness and liveness probes", where)
		}
	}
}

func (m *manifests) check() {
	byName := map[string]appsv1.Deployment{}
	for _, d := range m.deployments {
		byName[d.Name] = d
		owner := "Deployment " + d.Name
		if d.Spec.Selector == nil {
			m.fail("%s: no selector", owner)
			continue
		}
		selector, err := labels.ValidatedSelectorFromSet(d.Spec.Selector.MatchLabels)
		if err != nil || !selector.Matches(labels.Set(d.Spec.Template.Labels)) {
			m.fail("%s: selector does not match its pod template's labels", owner)
		}
		m.checkPod(owner, d.Spec.Template.Spec)
	}
	for _, c := range m.configMaps {
		for key := range c.Data {
			if secretName.MatchString(key) {
				m.fail("ConfigMap %s: %s belongs in the Secret", c.Name, key)
			}
		}
	}
	for _, j := range m.jobs {
		m.checkPod("Job "+j.Name, j.Spec.Template.Spec)
	}
	for _, s := range m.services {
		found := false
		for _, d := range m.deployments {
			if labels.SelectorFromSet(s.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels)) && len(s.Spec.Selector) > 0 {
				found = true
				for _, p := range s.Spec.Ports {
					if !opens(d.Spec.Template.Spec, p.TargetPort.String()) {
						m.fail("Service %s: targetPort %s not opened by Deployment %s", s.Name, p.TargetPort.String(), d.Name)
					}
				}
			}
		}
		if !found {
			m.fail("Service %s: selects no Deployment's pods", s.Name)
		}
	}
	for _, h := range m.hpas {
		if h.Spec.ScaleTargetRef.Kind != "Deployment" || byName[h.Spec.ScaleTargetRef.Name].Name == "" {
			m.fail("HorizontalPodAutoscaler %s: target %s/%s does not exist", h.Name, h.Spec.ScaleTargetRef.Kind, h.Spec.ScaleTargetRef.Name)
		}
		if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 1 || *h.Spec.MinReplicas > h.Spec.MaxReplicas {
			m.fail("HorizontalPodAutoscaler %s: needs 1 <= minReplicas <= maxReplicas", h.Name)
		}
	}
	for _, p := range m.pdbs {
		matched := false
		for _, d := range m.deployments {
			if p.Spec.Selector != nil && labels.SelectorFromSet(p.Spec.Selector.MatchLabels).Matches(labels.Set(d.Spec.Template.Labels)) && len(p.Spec.Selector.MatchLabels) > 0 {
				matched = true
			}
		}
		if !matched {
			m.fail("PodDisruptionBudget %s: selects no Deployment's pods", p.Name)
		}
	}
}

func opens(pod corev1.PodSpec, port string) bool {
	for _, c := range pod.Containers {
		for _, p := range c.Ports {
			if p.Name == port || fmt.Sprint(p.ContainerPort) == port {
				return true
			}
		}
	}
	return false
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: validate FILE.yaml...")
		os.Exit(2)
	}
	var m manifests
	for _, file := range os.Args[1:] {
		data, err := os.ReadFile(file)
		if err != nil {
			m.fail("%v", err)
			continue
		}
		for _, doc := range bytes.Split(data, []byte("\n---\n")) {
			if len(bytes.TrimSpace(doc)) > 0 && !onlyComments(doc) {
				m.decode(file, doc)
			}
		}
	}
	m.check()
	for _, p := range m.problems {
		fmt.Println(p)
	}
	if len(m.problems) > 0 {
		os.Exit(1)
	}
	fmt.Printf("ok: %d deployments, %d services, %d autoscalers, %d disruption budgets, %d jobs, %d config maps\n",
		len(m.deployments), len(m.services), len(m.hpas), len(m.pdbs), len(m.jobs), len(m.configMaps))
}

func onlyComments(doc []byte) bool {
	for _, line := range strings.Split(string(doc), "\n") {
		t := strings.TrimSpace(line)
		if t != "" && !strings.HasPrefix(t, "#") && t != "---" {
			return false
		}
	}
	return true
}
